// The page's entry point (a file, not an inline script, so a strict Content-Security-Policy
// allows it): start the playground, and in a built site keep it working offline.

import { start } from './app.js';
import { keepOffline } from './offline.js';

start();
keepOffline();
