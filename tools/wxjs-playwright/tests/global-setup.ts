import { startDev } from "../src/core";

// One `wxjs dev` for the whole run: both workers attach to it, so the page sessions are what
// keeps their answers apart.
export default async function globalSetup() {
  const dev = await startDev();
  process.env.WXJS_DEV_URLS = JSON.stringify(dev.urls);
  return async () => dev.stop();
}
