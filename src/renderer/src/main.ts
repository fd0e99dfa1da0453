import { createApp } from 'vue';
import Root from './Root.vue';
import { startAuth } from './auth';
import { startTheme } from './theme';
import './style.css';

// Before anything else: the setup token leaves the address bar, and the page learns whether it must sign in.
startAuth();
startTheme();
createApp(Root).mount('#app');
