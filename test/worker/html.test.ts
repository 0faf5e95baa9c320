import { escapeHtml, html, trustedHtml } from '../../worker/src/html/html.js';

describe('the html template tag', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const name = `<img src=x onerror="alert('x')">&\``;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;&#96;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;&#96;</p>',
    );
  });

  it('keeps markup built by the tag (or vouched for) as markup, and escapes lists item by item', () => {
    const items = ['<b>', 'ok'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${trustedHtml('<hr>')}`.value).toBe('<ul><li>&lt;b&gt;</li><li>ok</li></ul><hr>');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(escapeHtml('plain')).toBe('plain');
  });
});
