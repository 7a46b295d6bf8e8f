// One clue, with every app a manager needs on it: App3's detail (loaded by the server from the venue
// data by id), App4's relationship with the customer, App5's tactics for a picked goal, App6 on a
// note the staff member types, and App8's consolidation of all of that customer's clues.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { consolidationBehavior } = require('../../lib/consolidation.js');
const { IDLE, aiMeta, runInto, relationView, notesView, LEVEL } = require('../../lib/answers.js');
const goals = require('../../lib/goals.js');
const { askAbout } = require('../../lib/ask.js');

Component({
  behaviors: [clockBehavior, consolidationBehavior],
  data: {
    clueId: '', customerId: '', name: '', loading: false, error: '', detail: null, detailAi: null,
    relation: IDLE, tactics: IDLE, notes: IDLE,
    goalLabels: goals.labels, goalIndex: 0, customGoal: '', customIndex: goals.GOALS.length, note: '',
  },
  methods: {
    onLoad(query) {
      this.setData({ clueId: query.id || '', customerId: query.customer || '', name: query.name || '' });
      return this.load();
    },
    async load({ refresh = false } = {}) {
      this.setData({ loading: true, error: '' });
      try {
        const answer = await api().apps.run('app3_clue_detail', { clue_id: this.data.clueId }, { refresh });
        const meta = aiMeta(answer);
        const detail = meta.noData ? null : { ...answer.result, intentLabel: LEVEL[answer.result.intent_level] || answer.result.intent_level };
        this.setData({ loading: false, detail, detailAi: meta });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    relate() { return runInto(this, 'relation', 'app4_relationship', { customer_id: this.data.customerId }, relationView); },

    pickGoal(e) { this.setData({ goalIndex: Number(e.detail.value) }); },
    onGoalInput(e) { this.setData({ customGoal: e.detail.value }); },
    /** The goal App5 is asked for: the preset picked, or what was typed for 自定义. */
    goal() {
      return this.data.goalIndex < goals.GOALS.length ? goals.GOALS[this.data.goalIndex] : this.data.customGoal.trim();
    },
    plan() {
      const goal = this.goal();
      if (!goal) { this.setData({ tactics: { ...IDLE, error: '请先填写跟进目标' } }); return Promise.resolve(); }
      return runInto(this, 'tactics', 'app5_tactics', { customer_id: this.data.customerId, goal, clue_id: this.data.clueId });
    },

    onNoteInput(e) { this.setData({ note: e.detail.value }); },
    analyseNote() {
      const note = this.data.note.trim();
      if (!note) { this.setData({ notes: { ...IDLE, error: '请先输入笔记内容' } }); return Promise.resolve(); }
      return runInto(this, 'notes', 'app6_note_analysis', { note }, notesView);
    },

    ask() { askAbout({ page: 'clue', clue_id: this.data.clueId, customer_id: this.data.customerId }, `${this.data.name || '这条线索'}的线索`); },
  },
});
