// Proof that the check is live: each misuse below must stay a type error (tsc reports an unused
// expectation otherwise), so miniprogram-api-typings and the client's types are really in force.
const { api } = require('../miniprogram/lib/api.js');

// @ts-expect-error wx.request needs a url
wx.request({ method: 'GET' });

// @ts-expect-error app2_finance has no such range
api().apps.run('app2_finance', { range: 'next_year' });

// @ts-expect-error a page's setData takes an object
Component({ methods: { go() { this.setData('x'); } } });
