// What a page says when the signed-in role may not use it (a shared link, an old tab): which role it
// needs, which one the person has, and where to go instead. No request to the app is made.
const ROLE_LABELS = { staff: '店员', manager: '店长', admin: '管理员', service: '服务账号' };

Component({
  properties: {
    feature: { type: String, value: '' },
    need: { type: String, value: 'manager' },
    role: { type: String, value: '' },
  },
  data: { needLabel: '', roleLabel: '' },
  observers: {
    'need, role'(need, role) {
      this.setData({ needLabel: ROLE_LABELS[need] || need, roleLabel: ROLE_LABELS[role] || role || '未登录' });
    },
  },
  methods: {
    goHome() { wx.switchTab({ url: '/pages/chat/chat' }); },
  },
});
