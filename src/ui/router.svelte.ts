import { createSubscriber } from 'svelte/reactivity';

/**
 * The address bar as reactive state. The app routes by query string only (`?room=…&name=…`),
 * so a QR code or a bookmark is the whole navigation state and the server serves one page.
 */
export class Router {
  #subscribe = createSubscriber((update) => {
    window.addEventListener('popstate', update);
    this.#notify = update;
    return () => {
      window.removeEventListener('popstate', update);
      this.#notify = undefined;
    };
  });
  #notify: (() => void) | undefined;

  /** The current query string, e.g. `?room=ABCDE&view=host`. */
  get search(): string {
    this.#subscribe();
    return window.location.search;
  }

  /** Goes to `href` (same page, new query) and adds a history entry so Back works. */
  navigate(href: string): void {
    window.history.pushState(null, '', href);
    this.#notify?.();
  }

  /** Like navigate, without a history entry (e.g. dropping a name from the URL after joining). */
  replace(href: string): void {
    window.history.replaceState(null, '', href);
    this.#notify?.();
  }
}
