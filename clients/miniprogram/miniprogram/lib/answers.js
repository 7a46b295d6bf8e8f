// An app's answer as a page shows it: the result (or the empty state when the server said it had no
// data: `no_data`), the feedback handle, and the time of the data its insight read. Shared by every
// AI block on the clue and customer pages.
const { feedbackHandle } = require('bailian-fc-client');
const { api, errorText } = require('./api.js');
const { formatInstant } = require('./clock.js');

const IDLE = { loading: false, error: '', noData: false, result: null, handle: null, asOf: '' };

/** The parts of an answer every AI block shows besides its result. */
function aiMeta(answer) {
  const asOf = answer && typeof answer.insight_data_as_of === 'string' ? formatInstant(answer.insight_data_as_of) : '';
  return { noData: !!answer && answer.no_data === true, handle: feedbackHandle(answer), asOf };
}

/**
 * Runs app `key` and keeps its answer in page data `slot` ({loading, error, noData, result, handle,
 * asOf}); `view` shapes the result for the template.
 */
async function runInto(page, slot, key, input, view = (result) => result) {
  page.setData({ [slot]: { ...IDLE, loading: true } });
  try {
    const answer = await api().apps.run(key, input);
    const meta = aiMeta(answer);
    page.setData({ [slot]: { ...IDLE, ...meta, result: meta.noData ? null : view(answer.result) } });
  } catch (err) {
    page.setData({ [slot]: { ...IDLE, error: errorText(err) } });
  }
}

const LEVEL = { high: '高', medium: '中', low: '低' };
const SENTIMENT = { positive: '积极', neutral: '中性', negative: '消极' };
const percent = (confidence) => `${Math.round(Number(confidence) * 100)}%`;

/** App4's relationship as the template shows it. */
const relationView = (r) => ({ ...r, scoreText: `${r.score} / 100` });
/** App6's extraction: each clue with its confidence in percent, the sentiment in words. */
const notesView = (r) => ({
  ...r, sentimentLabel: SENTIMENT[r.sentiment] || r.sentiment,
  clues: (r.clues || []).map((c) => ({ ...c, confidenceText: percent(c.confidence) })),
});

module.exports = { IDLE, aiMeta, runInto, relationView, notesView, LEVEL };
