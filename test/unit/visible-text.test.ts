import { describe, expect, it } from 'vitest';
import { visibleContent } from '../../shared/email/visible-text';

const page = (body: string, head = '') =>
  `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;

describe('visibleContent: the text a reader sees in an HTML part', () => {
  it('reads text across inline elements as one word and breaks lines at blocks and cells', () => {
    const { text, hidden } = visibleContent(
      page('<p>Half <b>pri</b>ce</p><div>next</div><table><tr><td>a</td><td>b</td></tr></table>'),
    );
    expect(text).toBe('Half price\nnext\na b');
    expect(hidden).toEqual([]);
  });

  it('leaves out what is never rendered, and reads image alt text and Outlook-only content', () => {
    const { text } = visibleContent(
      page(
        '<script>var sale = 1;</script><!-- a comment about a sale --><img src="x.png" alt="Half price">' +
          '<!--[if mso]><p>Outlook sees this</p><![endif]-->',
        '<title>Clearance</title><style>p { color: red }</style>',
      ),
    );
    expect(text).toBe('Half price\nOutlook sees this');
  });

  it.each([
    ['display:none', '<div style="display: none !important">x</div>', 'display:none'],
    ['visibility:hidden', '<span style="VISIBILITY:hidden">x</span>', 'visibility:hidden'],
    ['font-size:0', '<span style="font-size:0">x</span>', 'font-size:0'],
    ['a 1px font', '<span style="font-size:1px">x</span>', 'font-size:0'],
    ['opacity:0', '<span style="opacity:0.0">x</span>', 'opacity:0'],
    ['the hidden attribute', '<p hidden>x</p>', 'hidden attribute'],
    ['zero height', '<div style="height:0;overflow:hidden">x</div>', 'zero size'],
    ['zero max-width', '<div style="max-width:0px;overflow:hidden">x</div>', 'zero size'],
    ['mso-hide:all', '<div style="mso-hide:all">x</div>', 'mso-hide:all'],
    ['transparent text', '<span style="color:transparent">x</span>', 'color:transparent'],
    ['a text-indent off-screen', '<div style="text-indent:-9999px">x</div>', 'positioned off-screen'],
    [
      'white on white',
      '<div style="background-color:#fff"><p style="color:white">x</p></div>',
      'text coloured like its background',
    ],
    [
      'bgcolor and font colour',
      '<table bgcolor="#000000"><tr><td><font color="black">x</font></td></tr></table>',
      'text coloured like its background',
    ],
    [
      'rgb() like hex',
      '<p style="color:rgb(255, 255, 255);background:#FFFFFF">x</p>',
      'text coloured like its background',
    ],
  ])('finds text hidden by %s', (_how, html, reason) => {
    const { text, hidden } = visibleContent(page(`<p>Shown</p>${html}`));
    expect(text).toBe('Shown');
    expect(hidden).toEqual([{ element: expect.any(String), reason, excerpt: 'x' }]);
  });

  it('applies the simple rules of <style> blocks, but not those inside @media', () => {
    const head =
      '<style>/* hide */ .pre, div#note { display:none } td .tiny { font-size: 0 }' +
      '@media (max-width: 600px) { .desktop { display: none } }</style>';
    const { text, hidden } = visibleContent(
      page(
        '<div class="card pre">one</div><div id="note">two</div><table><tr><td><span class="tiny">three</span></td></tr></table><p class="desktop">Shown</p>',
        head,
      ),
    );
    expect(text).toBe('Shown');
    expect(hidden.map((entry) => entry.excerpt)).toEqual(['one', 'two', 'three']);
  });

  it('does not report a hidden element without text, nor text merely coloured on another colour', () => {
    const { text, hidden } = visibleContent(
      page('<div style="display:none"></div><p style="color:#333;background:#fff">Shown</p>'),
    );
    expect(text).toBe('Shown');
    expect(hidden).toEqual([]);
  });
});
