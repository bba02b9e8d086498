// Elements made from data. Every text from the workspace (titles, statuses, paths: the
// repository's own words, which anyone who can push to it wrote) goes in as text, never as
// markup.

type Attributes = Record<string, string | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag: string, attributes: Attributes = {}, ...children: (Node | string | null)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) {
      element.setAttribute(name, value);
    }
  }
}

function append(element: Element, children: (Node | string | null | undefined)[]): void {
  for (const child of children) {
    if (child === null || child === undefined) {
      continue;
    }
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export function classes(...names: (string | false | null | undefined)[]): string {
  return names.filter((it): it is string => Boolean(it)).join(" ");
}
