import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * The minimal, self-contained page shell for human-facing routes (confirmation, preference page, errors).
 * No external assets: it must render in any mail client's in-app browser and without JavaScript.
 */
export function htmlPage(options: {
  title: string;
  lang?: string;
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
}) {
  return html`<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title}</title>
<style>${raw(PAGE_STYLE)}</style>
</head>
<body><main>${options.body}</main></body>
</html>`;
}

const PAGE_STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
main{max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin-top:0}p,li{line-height:1.5}.code{color:#57606a;font-size:.85rem}
a{color:#0550ae}button{font:inherit;background:#0550ae;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #fb8c00;outline-offset:2px}`;

/**
 * The Content-Security-Policy of the pages above (and of every other answer: an API response has nothing
 * to run either). The pages use no script, no image, no frame and no external resource; their only style
 * is the one `<style>` element, allowed by its hash rather than by 'unsafe-inline', so injected markup
 * could not even restyle a page. Forms post back to this origin only.
 */
export const PAGE_CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  styleSrc: [`'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};
