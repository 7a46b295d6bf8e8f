// The console's ONE message table: every label, heading, button, empty state and error text.
// Chinese first (what a venue operator reads); the English is a secondary line where it helps
// support staff. Pages never write a visible word of their own: they call t()/tl() with a key.
// tests/test_console.py checks the rendered text of every page against this table.

import { h } from './dom.js';

export const LOCALE = 'zh-CN';

/** key → [中文, English]. */
export const MESSAGES = {
  'app.title': ['百联台球 · 管理控制台', 'bailian-fc console'],
  'nav.menu': ['菜单', 'Menu'],
  'nav.dashboard': ['仪表盘', 'Dashboard'],
  'nav.runlogs': ['运行日志', 'Run logs'],
  'nav.triggers': ['定时任务', 'Triggers'],
  'nav.operations': ['运维', 'Operations'],
  'nav.runtime': ['运行时钟', 'Runtime'],
  'nav.chat': ['对话测试', 'Chat'],
  'nav.apps': ['应用测试', 'Apps'],
  'signout': ['退出登录', 'Sign out'],
  'loading': ['加载中…', 'Loading…'],
  'running': ['运行中…', 'Running…'],
  'checking': ['验证中…', 'Checking…'],
  'all': ['全部', 'all'],
  'none': ['无', 'none'],
  'yes': ['是', 'yes'],
  'cancel': ['取消', 'Cancel'],
  'confirm': ['确认', 'Confirm'],
  'save': ['保存', 'Save'],
  'remove': ['删除', 'Remove'],
  'add': ['添加', 'Add'],
  'filter': ['筛选', 'Filter'],
  'more': ['加载更多', 'Load more'],
  'site': ['门店', 'Site'],
  'app': ['应用', 'App'],
  'status': ['状态', 'Status'],
  'time': ['时间', 'Time'],
  'from': ['开始（门店时间）', 'From'],
  'to': ['结束（门店时间）', 'To'],
  'by': ['操作人', 'By'],
  'error': ['错误', 'Error'],
  'reason': ['原因', 'Reason'],
  'one-per-line': ['每行一项', 'one per line'],

  // sign-in and auth
  'signin.title': ['登录', 'Sign in'],
  'signin.help': ['打开登录链接（bailian-fc token --console-link，或 bailian-fc dev 打印的控制台链接），或粘贴管理员令牌（bailian-fc token --role admin）。令牌只保存在本标签页。',
    'Open a console link (bailian-fc token --console-link), or paste an admin token. It is kept in this tab only.'],
  'signin.token': ['管理员令牌', 'admin token'],
  'auth.forbidden': ['此令牌不是管理员令牌，请使用管理员令牌登录。', 'This is not an admin token.'],
  'auth.rejected': ['登录已失效（令牌被拒绝，可能已过期），请重新登录。', 'The token was rejected; sign in again.'],
  'auth.expired': ['登录已过期（令牌在 {at} 失效），请重新获取控制台链接（bailian-fc token --console-link）或粘贴新的令牌。', 'The sign-in has expired; get a new link.'],
  'auth.expires-soon': ['登录将在 {min} 分钟后过期。', 'The sign-in expires soon.'],

  // dashboard
  'dash.title': ['仪表盘', 'Dashboard'],
  'dash.period': ['统计周期', 'Period'],
  'dash.today': ['今天', 'Today'],
  'dash.days': ['{n} 天', '{n} days'],
  'dash.calls': ['调用次数', 'Calls'],
  'dash.tokens': ['Tokens（输入+输出）', 'Tokens (in + out)'],
  'dash.p50': ['延迟 p50', 'p50 latency'],
  'dash.p95': ['延迟 p95', 'p95 latency'],
  'dash.hit': ['缓存命中率', 'Cache hit rate'],
  'dash.errors': ['错误数', 'Errors'],
  'dash.codes': ['错误码', 'Error codes'],
  'dash.per-app': ['按应用', 'Per app'],
  'dash.per-site': ['按门店', 'Per site'],
  'dash.allSites': ['全部门店', 'All sites'],
  'dash.origin': ['用户 / 预热调用', 'Users / scheduled'],
  'dash.rejected': ['被拒 (4xx)', 'Rejected (4xx)'],
  'dash.rejectedCodes': ['被拒原因码', '4xx codes'],
  'dash.no-calls': ['这段时间没有调用。', 'No calls in this period.'],
  'dash.range': ['{from} 至 {to}（{tz}，营业日从 {start} 开始）· {unit} · 分位数误差 ±{err}%', ''],
  'dash.per-hour': ['按小时', 'per hour'],
  'dash.per-day': ['按营业日', 'per business day'],
  'dash.cost': ['费用（元）', 'Cost (¥)'],
  'dash.down': ['差评占比', 'Down-rated share'],
  'dash.ratings': ['评价 👍/👎', 'Ratings up/down'],

  // charts
  'chart.empty': ['暂无数据', 'no data'],

  // run logs
  'runlogs.title': ['运行日志', 'Run logs'],
  'runlogs.count': ['{n} 条记录 · {from} 至 {to} · 扫描 {scanned}', ''],
  'runlogs.empty': ['没有匹配的记录。', 'No matching records.'],
  'runlogs.cache': ['缓存', 'Cache'],
  'runlogs.attempts': ['尝试次数', 'Attempts'],
  'runlogs.latency': ['耗时', 'Latency'],
  'runlogs.tokens': ['Tokens', 'Tokens'],
  'runlogs.failure': ['失败详情', 'Failure detail'],
  'runlogs.record': ['记录详情', 'Record detail'],
  'runlogs.user': ['用户', 'User'],
  'runlogs.prompt': ['提示词版本', 'Prompt version'],
  'runlogs.total': ['总耗时', 'Latency'],
  'runlogs.upstream': ['· 上游', '· upstream'],
  'runlogs.ttfb': ['· 首字节', '· first byte'],
  'runlogs.overhead': ['· 自身开销', '· overhead'],
  'runlogs.queue': ['· 排队', '· queue'],
  'runlogs.tokens-io': ['Tokens 输入 / 输出', 'Tokens in / out'],
  'runlogs.request': ['请求编号', 'Request id'],
  'runlogs.upstream-request': ['上游请求编号', 'Upstream request id'],
  'runlogs.excerpt': ['未通过校验的回复（摘录）', 'Reply that failed its schema (excerpt)'],
  'runlogs.close': ['关闭', 'Close'],
  'runlogs.cost': ['费用', 'Cost'],
  'runlogs.model': ['模型', 'Model'],
  'runlogs.unpriced': ['未定价（价格表没有此模型，计 ¥0）', 'unpriced'],
  'runlogs.input': ['输入（问题与参数）', 'Input'],
  'runlogs.output': ['输出（回答）', 'Output'],
  'runlogs.no-trace': ['这条记录没有保存输入和输出（已超过保留期，或在记录内容之前产生）。', 'No trace kept for this record.'],
  'runlogs.rating': ['评价', 'Rating'],
  'runlogs.no-rating': ['还没有评价。', 'Not rated yet.'],
  'runlogs.conversation': ['查看该用户的对话记录', "the user's turns"],
  'runlogs.conversation-id': ['对话 {id}', ''],
  'runlogs.search': ['请求编号或用户', 'Request id or user'],
  'runlogs.down-only': ['只看差评', 'down-rated only'],
  'rating.up': ['👍 有帮助', 'up'],
  'rating.down': ['👎 没帮助', 'down'],
  'err.raw': ['原始信息', 'Raw message'],
  'status.ok': ['成功', 'ok'],
  'status.error': ['失败', 'error'],
  'status.rejected': ['被拒 (4xx)', 'rejected'],
  'status.partial': ['部分成功', 'partial'],
  'status.failed': ['失败', 'failed'],
  'status.incomplete': ['未完成', 'incomplete'],
  'status.running': ['运行中', 'running'],
  'status.abandoned': ['已中断（实例退出）', 'abandoned'],
  'cache.hit': ['命中', 'hit'],
  'cache.miss': ['未命中', 'miss'],
  'cache.stale': ['过期备用', 'stale'],
  'cache.bypass': ['跳过', 'bypass'],
  'cache.refresh': ['刷新', 'refresh'],
  'cache.none': ['未用缓存', 'none'],

  // triggers
  'triggers.title': ['定时任务', 'Triggers'],
  'triggers.enabled': ['已启用', 'enabled'],
  'triggers.disabled': ['已停用', 'disabled'],
  'triggers.enable': ['启用', 'Enable'],
  'triggers.disable': ['停用', 'Disable'],
  'triggers.confirm-enable': ['启用任务「{job}」？它将按计划自动运行。', 'Enable this job?'],
  'triggers.confirm-disable': ['停用任务「{job}」？停用后不再自动运行。', 'Disable this job?'],
  'triggers.last': ['上次运行', 'Last run'],
  'triggers.updated': ['最近修改', 'Updated'],
  'triggers.updated-by': ['{at} · {by}', ''],
  'triggers.cron': ['Cron 表达式（秒 分 时 日 月 周）', 'Cron (sec min hour day month weekday)'],
  'triggers.tz': ['时区', 'Time zone'],
  'triggers.preview': ['预览（{tz}）', 'Preview'],
  'triggers.saved': ['已保存：{cron}（{tz}）', 'Saved'],
  'triggers.force': ['强制', 'force'],
  'triggers.beforeDayStart': ['早于营业日开始', 'before day start'],
  'triggers.run': ['立即运行', 'Run now'],
  'triggers.started': ['已开始运行（{id}）。', 'Started now.'],
  'triggers.queued': ['已排队 {id}：预热函数会在下一次定时触发时运行（{reason}）。', 'Queued for the next tick.'],
  'triggers.finished': ['运行完成：{status} · {ms} 毫秒', 'Run finished'],
  'triggers.runs': ['最近运行', 'Recent runs'],
  'triggers.no-runs': ['还没有运行记录。', 'No runs yet.'],
  'triggers.started-at': ['开始时间', 'Started'],
  'triggers.trigger': ['触发方式', 'Trigger'],
  'triggers.duration': ['耗时', 'Duration'],
  'triggers.result': ['结果', 'Result'],
  'triggers.timer': ['定时', 'timer'],
  'triggers.manual': ['手动', 'manual'],
  'triggers.progress': ['完成 {done}/{total} · 生成 {computed} · 跳过 {skipped} · 失败 {failures}', '{done}/{total} done'],
  'triggers.payload': ['任务参数', 'Payload'],
  'triggers.payload-help': ['JSON 对象；可用字段：{fields}', 'a JSON object'],
  'triggers.payload-save': ['保存参数', 'Save payload'],
  'triggers.payload-json': ['参数不是合法的 JSON 对象。', 'The payload is not a JSON object.'],
  'triggers.remove': ['删除任务', 'Remove job'],
  'triggers.confirm-remove': ['删除任务「{job}」？运行记录和审计会保留。', 'Remove this job?'],
  'triggers.removed': ['已删除任务 {job}。', 'Removed.'],
  'triggers.create': ['新建任务', 'New job'],
  'triggers.name': ['任务名称（小写字母、数字、_、-）', 'Name'],
  'triggers.kind': ['任务类型', 'Kind'],
  'triggers.description': ['说明', 'Description'],
  'triggers.enable-now': ['创建后立即启用', 'enable at once'],
  'triggers.created': ['已创建任务 {job}。', 'Created.'],
  'triggers.estimate': ['预计每天上游调用', 'Estimated upstream calls a day'],
  'triggers.estimate-value': ['{calls} 次（每天触发 {fires} 次 × 每次 {per} 次调用）', ''],
  'triggers.available': ['新版本提供的默认任务', 'Defaults offered by this release'],
  'triggers.add-default': ['添加', 'Add'],
  'triggers.audit': ['任务审计', 'Job audit'],
  'triggers.no-audit': ['还没有任务变更。', 'No job changes yet.'],
  'triggers.action': ['操作', 'Action'],
  'triggers.job': ['任务', 'Job'],
  'triggers.what': ['内容', 'What'],
  'audit.create': ['创建', 'create'],
  'audit.update': ['修改', 'update'],
  'audit.delete': ['删除', 'delete'],
  'audit.set': ['设置', 'set'],
  'audit.clear': ['清除', 'clear'],

  // operations
  'ops.title': ['运维', 'Operations'],
  'ops.purge': ['清除缓存', 'Cache purge'],
  'ops.purge-button': ['清除', 'Purge'],
  'ops.any-app': ['全部应用', 'any app'],
  'ops.confirm-purge': ['清除 {app} 在 {site} 的全部缓存答案？之后的请求会重新调用百炼生成。', 'Purge these cached answers?'],
  'ops.every-site': ['全部门店', 'every site'],
  'ops.purged': ['已清除 {n} 条缓存。', 'Deleted {n} cache entries.'],
  'ops.pick-target': ['请选择一个应用或填写门店：不能一次清除全部应用在全部门店的缓存。', 'Pick an app or a site.'],
  'ops.site-help': ['留空 = 全部门店', 'empty = every site'],
  'budget.title': ['每日额度', 'Daily limits'],
  'budget.show': ['查看', 'Show'],
  'budget.daily': ['每日预算（元）', 'Daily budget (¥)'],
  'budget.user-calls': ['每人每日调用次数', 'Calls per user a day'],
  'budget.source': ['来源', 'Source'],
  'budget.source.default': ['部署默认值', 'default'],
  'budget.source.override': ['本门店单独设置', 'override'],
  'budget.spent': ['今日已用', 'Spent today'],
  'budget.calls': ['今日上游调用', 'Upstream calls today'],
  'budget.none': ['不限', 'no limit'],
  'budget.default': ['默认', 'default'],
  'budget.history': ['修改记录', 'History'],
  'ops.prewarm': ['预热进度', 'Prewarm progress'],
  'ops.no-prewarm': ['还没有预热运行。', 'No prewarm run yet.'],
  'ops.continues': ['未完成，下次定时继续', 'continues next tick'],
  'ops.queue': ['立即运行队列', 'Run-now queue'],
  'ops.queue-empty': ['队列为空。', 'The queue is empty.'],
  'ops.queued-at': ['排队时间', 'Queued'],
  'ops.force': ['强制', 'Force'],

  // runtime
  'runtime.title': ['运行时钟', 'Runtime context'],
  'runtime.effective': ['当前有效时间（本令牌的门店）', 'Effective clock'],
  'runtime.set': ['设置沙箱时钟', 'Set a sandbox clock'],
  'runtime.scope': ['范围', 'Scope'],
  'runtime.scope.site': ['门店', 'site'],
  'runtime.scope.global': ['全局', 'global'],
  'runtime.mode': ['方式', 'Mode'],
  'runtime.mode.fixed': ['固定时间', 'fixed'],
  'runtime.mode.offset': ['时间偏移', 'offset'],
  'runtime.fixed-at': ['固定时间（门店时间 {tz}）', 'Fixed at (venue time)'],
  'runtime.offset': ['偏移小时', 'Offset hours'],
  'runtime.ttl': ['有效分钟', 'TTL minutes'],
  'runtime.value': ['取值', 'Value'],
  'runtime.expires': ['剩余时间', 'Expires in'],
  'runtime.set-by': ['设置人', 'Set by'],
  'runtime.set-button': ['设置', 'Set'],
  'runtime.saved': ['已设置。', 'Set.'],
  'runtime.pick-time': ['请选择固定时间。', 'Pick the fixed time.'],
  'runtime.contexts': ['沙箱时钟', 'Contexts'],
  'runtime.none': ['没有沙箱时钟。', 'No sandbox clock is set.'],
  'runtime.clear': ['清除', 'Clear'],
  'runtime.expired': ['已过期', 'expired'],
  'runtime.audit': ['审计', 'Audit'],
  'runtime.no-audit': ['暂无审计记录。', 'No audit records.'],
  'clock.business-date': ['营业日 {date}', ''],
  'clock.now': ['现在 {now}（{tz}）', ''],
  'clock.sandbox': ['沙箱 · {scope} · {mode} · 至 {until}', 'sandbox'],
  'clock.real': ['真实时间', 'real time'],

  // chat
  'chat.title': ['对话测试', 'Chat playground'],
  'chat.conversations': ['会话', 'Conversations'],
  'chat.new': ['＋ 新对话', 'New'],
  'chat.placeholder': ['输入消息… 例如：今晚八点还有包厢吗？', ''],
  'chat.send': ['发送', 'Send'],
  'chat.stop': ['停止', 'Stop'],
  'chat.stopped': ['（已停止）', ''],
  'chat.hint': ['Ctrl+Enter 发送 · 与小程序使用同一个客户端', 'same client as the miniprogram'],

  // apps
  'apps.title': ['应用测试', 'Apps playground'],
  'apps.refresh': ['刷新（跳过缓存）', 'refresh (bypass cache)'],
  'apps.run': ['运行', 'Run'],
  'apps.result': ['结果', 'Result'],
  'apps.cached': ['缓存命中', 'cached'],
  'apps.fresh': ['新生成', 'fresh'],
  'apps.stale': ['过期备用', 'stale'],
  'apps.generated': ['生成时间', 'Generated at'],
  'apps.prompt': ['提示词版本', 'Prompt version'],
  'apps.usage': ['用量', 'Usage'],
  'apps.usage-value': ['输入 {in} / 输出 {out} tokens', ''],
  'apps.period': ['统计期', 'Period'],
  'apps.previous': ['对比期', 'Compared with'],
  'apps.business-date': ['营业日', 'Business date'],
  'apps.days-with-data': ['有数据的天数', 'Days with data'],
  'apps.data-as-of': ['数据截至', 'Data as of'],
  'apps.insight-as-of': ['AI 解读基于', 'Insight read data of'],
  'apps.no-data': ['该时段暂无营业数据，没有可解读的内容（未调用模型）', 'No business data in this range: nothing to interpret (the model was not asked)'],
  'apps.period-value': ['{start} 至 {end}（{days} 天）', ''],
  'apps.raw': ['原始 JSON', 'Raw JSON'],
  'apps.insights': ['洞察', 'Insights'],
  'apps.suggestions': ['建议', 'Suggestions'],
  'apps.figures': ['关键数据', 'Figures'],
  'apps.summary': ['摘要', 'Summary'],
  'apps.area-free': ['区域（all = 全部区域）', 'Area'],
  'apps.required': ['必填', 'required'],

  // errors (codes and pydantic detail types)
  'err.ValidationError': ['输入不符合要求', 'validation error'],
  'err.BadRequest': ['请求有误', 'bad request'],
  'err.NotFound': ['未找到', 'not found'],
  'err.Forbidden': ['没有权限', 'forbidden'],
  'err.Unauthorized': ['未登录或登录已过期', 'unauthorized'],
  'err.Conflict': ['已存在同名对象', 'conflict'],
  'err.InvalidCron': ['Cron 表达式无效', 'invalid cron'],
  'err.RateLimited': ['请求太频繁，请稍后再试', 'rate limited'],
  'err.OutputInvalid': ['模型回复未通过校验', 'output invalid'],
  'err.NetworkError': ['网络连接失败', 'network error'],
  'err.Busy': ['系统繁忙，请稍后再试', 'busy'],
  'err.UpstreamError': ['百炼服务出错，请稍后再试', 'upstream error'],
  'err.AccessDenied': ['百炼拒绝了访问密钥（密钥无效或已吊销）', 'access denied'],
  'err.InvalidParameter': ['百炼认为请求参数有误', 'invalid parameter'],
  'err.DataInspectionFailed': ['内容未通过百炼的安全审核', 'content blocked'],
  'err.Throttling': ['百炼限流，请稍后再试', 'throttled'],
  'err.UpstreamTimeout': ['百炼响应超时', 'upstream timeout'],
  'err.ProtocolError': ['百炼返回了无法识别的数据', 'protocol error'],
  'err.ConnectionDropped': ['与百炼的连接中断', 'connection dropped'],
  'err.DeadlineExceeded': ['处理超时，未能在时限内完成', 'deadline exceeded'],
  'err.NotConfigured': ['服务未配置完整', 'not configured'],
  'err.Unavailable': ['服务暂时不可用', 'unavailable'],
  'err.Timeout': ['请求超时', 'timeout'],
  'err.TooLarge': ['内容太大', 'too large'],
  'err.LimitReached': ['已达到上限', 'limit reached'],
  'err.ConversationNotFound': ['对话不存在', 'conversation not found'],
  'err.ClueNotFound': ['线索不存在', 'clue not found'],
  'err.CustomerNotFound': ['客户不存在', 'customer not found'],
  'err.UnsupportedMediaType': ['请求格式不支持', 'unsupported media type'],
  'err.BudgetExceeded': ['门店今日预算已用完，明天营业日开始后恢复', 'budget exceeded'],
  'err.UserLimitExceeded': ['该用户今日调用次数已用完', 'user limit exceeded'],
  'err.other': ['操作失败', 'error'],
  'err.request': ['请求编号 {id}', ''],
  'v.missing': ['必填', 'required'],
  'v.string_too_short': ['不能为空或太短', 'too short'],
  'v.string_too_long': ['太长', 'too long'],
  'v.string_pattern_mismatch': ['格式不正确', 'bad format'],
  'v.literal_error': ['不是可选的值', 'not an allowed value'],
  'v.enum': ['不是可选的值', 'not an allowed value'],
  'v.extra_forbidden': ['不允许的字段', 'unknown field'],
  'v.too_short': ['至少需要一项', 'too few items'],
  'v.too_long': ['项目太多', 'too many items'],
  'v.date_from_datetime_parsing': ['日期格式不正确', 'bad date'],
  'v.date_parsing': ['日期格式不正确', 'bad date'],
  'v.bool_type': ['只能是 是/否', 'true or false'],
  'v.bool_parsing': ['只能是 是/否', 'true or false'],
  'v.greater_than_equal': ['数值太小', 'too small'],
  'v.less_than_equal': ['数值太大', 'too large'],
  'v.float_parsing': ['不是数字', 'not a number'],
  'v.int_parsing': ['不是整数', 'not an integer'],
  'v.value_error': ['取值无效', 'invalid value'],
  'v.other': ['取值无效', 'invalid value'],
};

/** Values that read the same in Chinese (units, metric names): allowed without a Han character. */
export const NEUTRAL = ['p50', 'p95', 'Tokens', 'JSON', 'Cron', '—', '＋', '✗'];

/** Enum values as people say them: range names, levels, channels, … (field → value → 中文). */
export const ENUMS = {
  range: { today: '今天', yesterday: '昨天', last_7_days: '最近 7 天', this_week: '本周', last_week: '上周',
    this_month: '本月', last_month: '上月', last_30_days: '最近 30 天' },
  level: { info: '提示', positive: '利好', warning: '注意', critical: '严重' },
  channel: { in_store: '到店', wechat: '微信', phone: '电话', other: '其他' },
  category: { table: '台费', goods: '商品', recharge: '充值', coaching: '教练课', other: '其他' },
  intent_level: { high: '高', medium: '中', low: '低' },
  churn_risk: { high: '高', medium: '中', low: '低' },
  tone: { positive: '积极', neutral: '中性', negative: '消极' },
  sentiment: { positive: '积极', neutral: '中性', negative: '消极' },
};

/** Output field names of the apps' answers (catalogue/outputs.py) in Chinese. */
export const FIELDS = {
  summary: '摘要', insights: '洞察', suggestions: '建议', figures: '关键数据', headline: '标题', tone: '基调',
  profile_summary: '客户画像', key_facts: '关键事实', intent_level: '意向程度', follow_ups: '跟进建议',
  risk_flags: '风险提示', score: '关系评分', highlights: '亮点', next_actions: '下一步行动', openers: '开场白',
  talking_points: '沟通要点', avoid: '避免', clues: '线索', sentiment: '情绪', tags: '标签', segment: '客户分层',
  churn_risk: '流失风险', reasons: '原因', recommendations: '建议', merged: '合并后的线索',
  removed_duplicates: '去除重复', category: '类别', content: '内容', confidence: '置信度', title: '标题',
  detail: '详情', level: '级别', metric: '指标', value: '数值', current: '本期', previous: '上期', change: '变化',
};

const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] !== undefined ? String(vars[k]) : `{${k}}`));

/** The Chinese text of `key`, with {vars} filled. */
export function t(key, vars) {
  const entry = MESSAGES[key];
  if (!entry) return key; // a missing key shows itself (and fails the console test)
  return fill(entry[0], vars);
}

/** The English secondary text of `key` ('' when there is none). */
export function en(key, vars) {
  const entry = MESSAGES[key];
  return entry && entry[1] ? fill(entry[1], vars) : '';
}

/** Chinese with the English as a small secondary line: for headings, buttons and column heads. */
export function tl(key, vars) {
  const second = en(key, vars);
  return [t(key, vars), second ? h('small.en', second) : null];
}

/** An enum value in Chinese (the raw value when the table has none). */
export const enumLabel = (field, value) => ENUMS[field]?.[value] ?? String(value);
export const fieldLabel = (name) => FIELDS[name] || name;

/** A pydantic/validation detail's message in Chinese. */
export function detailMessage(detail) {
  const key = `v.${detail?.type || 'other'}`;
  return MESSAGES[key] ? t(key) : t('v.other');
}

/** An error code in Chinese. */
export const errorLabel = (code) => (MESSAGES[`err.${code}`] ? t(`err.${code}`) : t('err.other'));

// -- the venue's locale and zone ---------------------------------------------------------------

let zone = 'Asia/Shanghai';
export const venueZone = () => zone;
export function setVenueZone(tz) { if (tz) zone = tz; }
