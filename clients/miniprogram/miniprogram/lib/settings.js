// The deployment's settings (config.js), overridable by tests and debug builds, and the check that
// refuses a release build whose request or login URL is not HTTPS.
const config = require('../config.js');

let settings = { ...config };
const listeners = new Set();

/** The build this code runs in: 'develop' (DevTools, a preview), 'trial' or 'release'. */
function envVersion() {
  try {
    const info = typeof wx.getAccountInfoSync === 'function' ? wx.getAccountInfoSync() : null;
    return (info && info.miniProgram && info.miniProgram.envVersion) || 'release';
  } catch (e) {
    return 'release'; // unknown: the strict rule
  }
}

const HTTPS = /^https:\/\/[^/\s]+/;
const LOOPBACK = /^http:\/\/127\.0\.0\.1(:\d+)?(\/|$)/; // `bailian-fc dev` on the developer's machine

/**
 * Why `url` may not be used in this build, or '' when it may. WeChat itself refuses plain HTTP on a
 * phone; a release build refuses it here too, before any token is sent over it.
 * @param {string} name @param {string} url @param {string} env
 */
function urlProblem(name, url, env) {
  if (typeof url !== 'string' || !url) return `${name} 未配置`;
  if (HTTPS.test(url)) return '';
  if (env === 'develop' && LOOPBACK.test(url)) return '';
  return `${name} 必须是 https:// 地址（调试版本可用 http://127.0.0.1）`;
}

/** The settings in force; throws when a URL is not allowed in this build. */
function current() {
  const env = envVersion();
  const problems = [urlProblem('baseUrl', settings.baseUrl, env), urlProblem('loginUrl', settings.loginUrl, env)].filter(Boolean);
  if (problems.length) throw new Error(`配置错误：${problems.join('；')}`);
  return settings;
}

/** Override config.js (tests; a debug build pointing at staging). */
function configure(overrides) {
  settings = { ...settings, ...overrides };
  listeners.forEach((fn) => fn());
}

function onConfigure(fn) { listeners.add(fn); }

module.exports = { configure, current, onConfigure, urlProblem, envVersion, raw: () => settings };
