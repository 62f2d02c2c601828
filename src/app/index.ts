/** The SMART app clinicians launch from the EHR: launch, callback, patient page, device linking. */
export { appPlugin, appDepsOf, type AppDeps, type AppPluginOptions } from './app-plugin';
export { checkIss, checkLaunch } from './check-iss';
export { loadOrCreateSessionSecret } from './session-secret';
