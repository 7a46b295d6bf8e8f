// Shown on every page when staying signed in failed (a second 401 in a row, or a login the venue's
// backend refused): a button to sign in again, instead of a dead end.
const session = require('../../lib/session.js');
const { own } = require('../../lib/own.js');

Component({
  data: { needed: false, busy: false, error: '' },
  lifetimes: {
    attached() {
      this.setData({ needed: session.isSignInNeeded() });
      own(this).off = session.onSignInNeeded((needed) => this.setData({ needed, error: '' }));
    },
    detached() { if (own(this).off) own(this).off(); },
  },
  methods: {
    async signIn() {
      if (this.data.busy) return;
      this.setData({ busy: true, error: '' });
      try {
        await session.signIn();
        this.setData({ busy: false });
      } catch (err) {
        this.setData({ busy: false, error: '登录失败，请稍后再试' });
      }
    },
  },
});
