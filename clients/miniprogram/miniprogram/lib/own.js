// Per-instance state that is not page data (a running call, a request counter): kept beside the
// instance instead of as ad-hoc `this._x` fields, so setData never sees it and the types stay exact.
const states = new WeakMap();

/** @param {object} instance @returns {Record<string, any>} */
function own(instance) {
  let state = states.get(instance);
  if (!state) { state = {}; states.set(instance, state); }
  return state;
}

module.exports = { own };
