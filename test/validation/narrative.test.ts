import { narrativeElementsOk } from '../../src/validation/narrative';

/**
 * txt-1 (https://hl7.org/fhir/R4/narrative.html#xhtml) matches tag names in place, ignoring ASCII case, and parses
 * attributes only when they contain `on` or `script:` in any case: these pin the cases where that could differ
 * from lowering a copy of the name and the attributes.
 */
const div = (inner: string, attrs = ''): string => `<div xmlns="http://www.w3.org/1999/xhtml"${attrs}>${inner}</div>`;

describe('narrative txt-1 scan', () => {
  it.each([
    ['lower-case formatting elements', div('<p>a <b>b</b> <h1>c</h1><h6>d</h6><br/></p>')],
    ['upper- and mixed-case names of allowed elements', div('<P>a <TABLE><Tr><TD>1</TD></Tr></TABLE><H2>x</H2><BlockQuote>q</BlockQuote></P>')],
    ['the longest names', div('<blockquote><colgroup><col/></colgroup></blockquote><acronym>x</acronym>')],
    ['style and class attributes holding "on" (font, content)', div('<span style="font-weight: bold; content: none">x</span><p class="ONE">y</p>')],
    ['a comment and an http link', div('<!-- note --><a href="https://example.org/x">x</a>')],
    ['an attribute name that merely contains "on" after a letter', div('<td colspan="2" data-conf="1">x</td>')],
  ])('accepts %s', (_name, text) => {
    expect(narrativeElementsOk(text)).toBe(true);
  });

  it.each([
    ['an element outside the list', div('<blink>x</blink>')],
    ['an element outside the list sharing a first letter and length', div('<dx>x</dx>')],
    ['a heading level that does not exist', div('<h7>x</h7>')],
    ['an upper-case script element', div('<SCRIPT>x()</SCRIPT>')],
    ['an allowed name followed by more name characters', div('<pre-x>x</pre-x>')],
    ['an event attribute in upper case', div('<p ONCLICK="x()">x</p>')],
    ['an event attribute in mixed case', div("<p onMouseOver='x()'>x</p>")],
    ['a javascript: URL in mixed case', div('<a href="JavaScript:alert(1)">x</a>')],
    ['a vbscript: URL in upper case', div('<img src="VBSCRIPT:x"/>')],
    ['an empty tag name', div('< p>x</p>')],
  ])('rejects %s', (_name, text) => {
    expect(narrativeElementsOk(text)).toBe(false);
  });
});
