// Types of the bailian-fc JS client. App inputs and outputs come from the exported catalogue
// types (`bailian-fc export-types` → types/bailian-apps.d.ts); copy that file next to this one's
// folder layout, or adjust the import path, when vendoring the client into a miniprogram.
import type { AppKey, AppResponse, AppTypes } from '../../../types/bailian-apps';
import type { ChatError, ChatStreamEvent } from '../../../types/chat-events';

export type SingleAppKey = Exclude<AppKey, 'app1_chat'>;

export interface ErrorContract {
  error: { code: string; message: string; request_id: string | null; details?: unknown[] };
}

export declare class BailianApiError extends Error {
  readonly status: number; // 0: no response (network, cancelled)
  readonly code: string;
  readonly requestId: string | null;
  readonly details: unknown[];
  readonly retryable: boolean;
  readonly isAuth: boolean;
  toJSON(): { status: number; code: string; message: string; request_id: string | null; details: unknown[]; retryable: boolean };
}
export declare function errorFromResponse(status: number, text: string, headerRequestId?: string | null): BailianApiError;

// The chat events are generated from the server's models (types/chat-events.d.ts, from
// types/chat-events.schema.json): edit shared/bailian_fc/chat/events.py, never these names.
export type { ChatDelta, ChatDone, ChatMeta } from '../../../types/chat-events';
/** A server `error` frame's data, or one the client made (HTTP error, network, StreamEnded) with `status`. */
export type ChatErrorData = Omit<ChatError, 'request_id'> & { status?: number; request_id?: string | null };
export type ChatEvent = Exclude<ChatStreamEvent, { type: 'error' }> | { type: 'error'; data: ChatErrorData };

export interface ChatCall extends AsyncIterable<ChatEvent> {
  cancel(): void;
  readonly cancelled: boolean;
  readonly finished: Promise<void>;
}
export interface ChatBody { message: string; conversation_id?: string | null; context?: { page?: string } | null }

export interface TransportRequest {
  method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs?: number;
  stream?: boolean; onHead?(status: number): void; onChunk?(bytes: Uint8Array): void;
  canceller?: Canceller;
}
export interface Transport {
  request(req: TransportRequest): Promise<{ status: number; text?: string; requestId?: string | null }>;
}
export interface Canceller { readonly cancelled: boolean; onCancel(fn: () => void): void; cancel(): void }
export declare function createCanceller(): Canceller;
export declare function fetchTransport(fetchImpl?: typeof fetch): Transport;
export declare function wxTransport(wx: unknown): Transport;

export interface SseEvent { event: string; data: unknown; id?: string; raw: string }
export declare function createSseParser(options?: { manualUtf8?: boolean }): {
  push(chunk: Uint8Array | ArrayBuffer): SseEvent[]; end(): SseEvent[]; readonly comments: number;
};
export declare function decodeUtf8(bytes: Uint8Array, options?: { manual?: boolean }): string;
export declare function decodeUtf8Manual(bytes: Uint8Array): string;
export declare function encodeUtf8(text: string): Uint8Array;

export interface ClockView {
  now: string; business_date: string; tz: string; day_start: string; sandbox: boolean;
  scope: 'global' | 'site' | null; expires_at: string | null; mode: 'fixed' | 'offset' | null;
}
export interface CatalogueEntry { key: AppKey; title: string; mode: string; prompt_version: string; roles: string[]; configured: boolean }

export interface ClientOptions {
  baseUrl?: string; token?: string; getToken?: () => string | null | undefined; transport: Transport;
  onAuthError?: (err: BailianApiError) => void; timeoutMs?: number;
}
type Json = any; // admin routes: see README "Apps, clock and admin"

export interface Client {
  call(method: string, path: string, opts?: { query?: Record<string, unknown>; body?: unknown }): Promise<Json>;
  feedback: FeedbackRoutes;
  apps: {
    list(): Promise<{ apps: CatalogueEntry[] }>;
    run<K extends SingleAppKey>(key: K, input: AppTypes[K]['input'], opts?: { refresh?: boolean }): Promise<AppResponse<K>>;
  };
  clock(): Promise<ClockView>;
  chat: { send(body: ChatBody, opts?: { onEvent?: (ev: ChatEvent) => void; manualUtf8?: boolean }): ChatCall };
  conversations: {
    /** The caller's conversations newest first, a page of `limit`; `before` = the previous page's
     *  `next_before` (null: no more). `skipped` counts records that could not be read. */
    list(q?: { limit?: number; before?: string }): Promise<Json>;
    /** Turns newest first, `limit` (1..100, default 20) a page; `before` = the previous page's `next_before`. */
    get(id: string, q?: { before?: string; limit?: number }): Promise<Json>;
    remove(id: string): Promise<null>;
  };
  admin: {
    runlogs(q?: { app?: string; site?: string; status?: 'ok' | 'error'; from?: string; to?: string; limit?: number; cursor?: string }): Promise<Json>;
    dashboard(q?: { days?: number; site?: string }): Promise<Json>;
    triggers: {
      list(): Promise<Json>; get(job: string): Promise<Json>;
      update(job: string, patch: { enabled?: boolean; cron?: string; tz?: string; payload?: object; description?: string }): Promise<Json>;
      run(job: string, opts?: { site_id?: string; force?: boolean }): Promise<Json>;
      runs(job: string, q?: { limit?: number }): Promise<Json>;
    };
    cronPreview(cron: string, tz?: string): Promise<{ cron: string; tz: string; next_fire_times: string[] }>;
    queue(): Promise<Json>;
    runtimeContext: {
      get(): Promise<Json>; set(body: object): Promise<Json>;
      clear(q: { scope: 'global' | 'site'; site_id?: string }): Promise<null>; audit(q?: { limit?: number }): Promise<Json>;
    };
    purgeCache(body: { app?: string; site_id?: string }): Promise<{ deleted: number }>;
    appSchemas(): Promise<{ apps: { key: SingleAppKey; title: string; input_schema: object }[] }>;
  };
}
export declare function createClient(options: ClientOptions): Client;
export declare function sendChat(ctx: unknown, body: ChatBody, opts?: { onEvent?: (ev: ChatEvent) => void }): ChatCall;

// 👍/👎 (src/feedback.js): offered only when an answer carries a handle for it.
export type Rating = 'up' | 'down';
export interface FeedbackRoutes {
  app(requestId: string, rating: Rating, opts?: { comment?: string }): Promise<Json>;
  turn(conversationId: string, turnId: string, rating: Rating, opts?: { comment?: string }): Promise<Json>;
}
export type FeedbackHandle =
  | { kind: 'app'; requestId: string }
  | { kind: 'turn'; turnId: string; conversationId: string | null };
export declare function feedbackHandle(answer: unknown): FeedbackHandle | null;
export declare function feedbackRoutes(call: Client['call']): FeedbackRoutes;
