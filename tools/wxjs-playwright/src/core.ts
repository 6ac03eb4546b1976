// wxjs for front-end tests: start (or attach to) `wxjs dev`, and drive its emulated WeChat app
// over HTTP — the automation API of the phone origin (`GET /__wxjs/` lists it) and the simulated
// platform's control API (`/__sim/`).

import { spawn, ChildProcess } from "child_process";
import * as readline from "readline";

/** Where the three parts of a running `wxjs dev` answer. */
export interface DevUrls {
  /** The phone origin, where pages live (`http://localhost:8080`). */
  phone: string;
  /** The simulated platform (`http://localhost:8081`). */
  platform: string;
  /** The signing service (`http://localhost:8082`). */
  service: string;
}

/** A `wxjs dev` this process started (or attached to). */
export interface Dev {
  urls: DevUrls;
  /** Stops it (nothing for one attached to). */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The `wxjs` binary (default: `$WXJS_BIN`, else `wxjs` on the PATH). */
  bin?: string;
  /** Serve these files at the phone origin. */
  staticDir?: string;
  /** Put the phone in front of this dev server (`http://localhost:5173`). */
  proxy?: string;
  /** The simulator's TOML (your accounts). */
  simConfig?: string;
  /** `android` (the default) or `ios`. */
  platform?: "android" | "ios";
  /** Further arguments for `wxjs dev`. */
  args?: string[];
}

/** Starts `wxjs dev --memory --port 0` (three free ports) and waits for its banner. */
export function startDev(options: StartOptions = {}): Promise<Dev> {
  const bin = options.bin || process.env.WXJS_BIN || "wxjs";
  const args = ["dev", "--memory", "--port", "0"];
  if (options.staticDir) args.push("--static", options.staticDir);
  if (options.proxy) args.push("--proxy", options.proxy);
  if (options.simConfig) args.push("--sim-config", options.simConfig);
  if (options.platform) args.push("--platform", options.platform);
  args.push(...(options.args || []));
  const child: ChildProcess = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  // A runner that dies takes wxjs dev with it.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  return new Promise((resolve, reject) => {
    const late = setTimeout(() => {
      kill();
      reject(new Error(`wxjs dev did not start within 30 s:\n${seen.join("\n")}`));
    }, 30_000);
    const lines = readline.createInterface({ input: child.stderr! });
    const seen: string[] = [];
    const url = (label: string) => {
      const line = seen.find((l) => l.trim().startsWith(label));
      const m = line && line.match(/http:\/\/[^\s/]+/);
      return m ? m[0] : "";
    };
    child.on("error", (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)));
    child.on("exit", (code) => reject(new Error(`wxjs dev exited (${code}):\n${seen.join("\n")}`)));
    lines.on("line", (line) => {
      seen.push(line);
      if (!line.startsWith("Ctrl-C")) return;
      clearTimeout(late);
      const urls = { phone: url("phone"), platform: url("platform"), service: url("service") };
      resolve({
        urls,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners("exit");
            const hard = setTimeout(kill, 15_000);
            child.once("exit", () => {
              clearTimeout(hard);
              process.removeListener("exit", kill);
              done();
            });
            child.kill("SIGINT");
          }),
      });
    });
  });
}

/** A `wxjs dev` that runs already (its three URLs). */
export function attachDev(urls: DevUrls): Dev {
  return { urls, stop: async () => undefined };
}

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** An automated answer to a prompt: ok, cancel or fail. */
export type Action = "ok" | "cancel" | "fail";

/** The emulated WeChat app, as one page under test sees it. */
export class WeChat {
  /** @param page the page's id (its session); automation reaches only that page. */
  constructor(public readonly urls: DevUrls, public page?: string) {}

  /** Answers the next prompt of `api` (a wx interface, or an open tag's name). */
  next(api: string, action: Action = "ok", data?: unknown): Promise<void> {
    return call("POST", `${this.urls.phone}/__wxjs/user/next`, { api, action, data: data ?? null, page: this.page });
  }

  /** Taps a menu item (`share:timeline`, `share:appMessage`, `share:qq`, …). */
  tap(menu: string): Promise<void> {
    return call("POST", `${this.urls.phone}/__wxjs/user/tap`, { menu, page: this.page });
  }

  /** Every bridge call of this page, with its verification outcome. */
  async log(): Promise<any[]> {
    const all: any[] = await call("GET", `${this.urls.phone}/__wxjs/log`);
    return this.page ? all.filter((e) => e.session === this.page) : all;
  }

  /** Forgets the app's state (queues, log, wallet, local files, settings). */
  reset(): Promise<void> {
    return call("POST", `${this.urls.phone}/__wxjs/reset`);
  }

  /** Reads, or changes, the app's settings. */
  settings(change?: Record<string, unknown>): Promise<any> {
    return change ? call("POST", `${this.urls.phone}/__wxjs/settings`, change) : call("GET", `${this.urls.phone}/__wxjs/settings`);
  }

  /** The open pages. */
  pages(): Promise<{ id: string; url: string; title: string }[]> {
    return call("GET", `${this.urls.phone}/__wxjs/pages`);
  }

  /** The simulator's clock. */
  clock = {
    advance: (seconds: number): Promise<any> => call("POST", `${this.urls.platform}/__sim/clock/advance`, { seconds }),
  };

  /** Makes the next `count` platform calls of `path` fail (`errcode`, `status` or `delayMs`). */
  faults(fault: { path: string; errcode?: number; status?: number; delayMs?: number; count?: number }): Promise<any> {
    return call("POST", `${this.urls.platform}/__sim/faults`, fault);
  }

  /** Platform calls so far, by path. */
  stats(): Promise<{ calls: Record<string, number> }> {
    return call("GET", `${this.urls.platform}/__sim/stats`);
  }

  /** Payments: orders the simulator creates, and the notifications it sent. */
  payments = {
    prepay: (order: { appId: string; body: string; totalFee: number; outTradeNo: string; notifyUrl: string }): Promise<any> =>
      call("POST", `${this.urls.platform}/__sim/pay/prepay`, order),
    notifications: (): Promise<any[]> => call("GET", `${this.urls.platform}/__sim/pay/notifications`),
  };
}

/** Where WeChat's CDN serves the published library. */
export const CDN_LIBRARY = /^https?:\/\/res2?\.wx\.qq\.com\/open\/js\/jweixin-([\d.]+?)(\.min)?\.js/;

/** wxjs's build for a published revision: 1.0.0's for 1.0.0, 1.6.0's for every later one. */
export function buildFor(revision: string): string {
  return revision === "1.0.0" ? "/jweixin-1.0.0.js" : "/jweixin-1.6.0.js";
}

