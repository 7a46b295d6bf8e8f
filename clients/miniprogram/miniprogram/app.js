// Sign in at launch when no token is stored; requests made meanwhile wait for that login, and an
// expired token is renewed on its first 401 (lib/session.js).
const session = require('./lib/session.js');

App({
  onLaunch() { session.launch(); },
});
