// Shown on every page while a sandbox clock is in force (and the date it pretends it is).
const { clockBehavior } = require('../../lib/clock.js');

Component({ behaviors: [clockBehavior] });
