import type { Page } from 'puppeteer-core';

/**
 * What the tests ask of the page, as expressions the browser evaluates (the test program is
 * compiled without the DOM's types, so page-side code is written as text here, once).
 */
const q = (selector: string) => JSON.stringify(selector);

/** An element's textContent, or null when there is none. */
export function textOf(page: Page, selector: string): Promise<string | null> {
  return page.evaluate(`document.querySelector(${q(selector)})?.textContent ?? null`) as Promise<string | null>;
}

/** A computed style property of an element. */
export function styleOf(page: Page, selector: string, property: string): Promise<string> {
  return page.evaluate(`getComputedStyle(document.querySelector(${q(selector)}))[${q(property)}]`) as Promise<string>;
}

/** An attribute of an element, or null. */
export function attrOf(page: Page, selector: string, name: string): Promise<string | null> {
  return page.evaluate(`document.querySelector(${q(selector)})?.getAttribute(${q(name)}) ?? null`) as Promise<string | null>;
}

/** Wait until the element's text passes `test` (a JS function source: `(t) => …`). */
export async function waitText(page: Page, selector: string, test: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(`(${test})(document.querySelector(${q(selector)})?.textContent ?? '')`, { timeout, polling: 50 });
}

/** Evaluate an expression in the page. */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
