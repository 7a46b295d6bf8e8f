// The follow-up goals App5 (tactics) offers in its picker. The catalogue's `goal` is free text
// (1–200 characters, `catalogue/inputs.py` TacticsInput), so these are presets plus 自定义.
const GOALS = ['促成会员充值', '邀约到店消费', '预约包厢团建', '推荐教练课程', '唤回流失客户', '处理投诉反馈'];
const CUSTOM = '自定义…';

module.exports = { GOALS, CUSTOM, labels: [...GOALS, CUSTOM] };
