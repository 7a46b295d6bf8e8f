// One error type for every failure the API reports: {"error": {code, message, request_id, details?}}.

export class BailianApiError extends Error {
  /**
   * @param {{status: number, code: string, message: string, requestId?: string | null, details?: any[], retryable?: boolean}} fields
   */
  constructor({ status, code, message, requestId = null, details = [], retryable }) {
    super(message);
    this.name = 'BailianApiError';
    /** HTTP status; 0 when no response arrived (network failure, cancelled). */
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details || [];
    /** Whether trying again may work: the server's word when it gave one, else 429/5xx/network. */
    this.retryable = retryable !== undefined ? retryable
      : status === 0 || status === 429 || status >= 500;
  }

  /** 401 or 403: the token is missing, expired or lacks the role. */
  get isAuth() { return this.status === 401 || this.status === 403; }

  toJSON() {
    return { status: this.status, code: this.code, message: this.message, request_id: this.requestId,
      details: this.details, retryable: this.retryable };
  }
}

/**
 * The typed error for a non-2xx response body (JSON contract, or anything else a proxy sent).
 * @param {number} status @param {string} text @param {string | null} [headerRequestId]
 */
export function errorFromResponse(status, text, headerRequestId = null) {
  let body = null;
  try { body = JSON.parse(text); } catch (_) { /* not JSON */ }
  const err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  if (err && typeof err.code === 'string') {
    const details = Array.isArray(err.details) ? err.details : [];
    const hint = details.find((d) => d && typeof d.retryable === 'boolean');
    return new BailianApiError({ status, code: err.code, message: String(err.message ?? err.code),
      requestId: err.request_id ?? headerRequestId, details, retryable: hint ? hint.retryable : undefined });
  }
  return new BailianApiError({ status, code: `Http${status}`,
    message: (text || `HTTP ${status}`).slice(0, 200), requestId: headerRequestId });
}

/** @param {unknown} cause */
export function networkError(cause) {
  const message = cause && typeof cause === 'object' && 'message' in cause ? String(cause.message) : String(cause);
  return new BailianApiError({ status: 0, code: 'NetworkError', message: message || 'network error' });
}

export function cancelledError() {
  return new BailianApiError({ status: 0, code: 'Cancelled', message: 'cancelled', retryable: false });
}
