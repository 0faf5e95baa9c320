import { deflateSync } from 'node:zlib';
import { pdfActiveContent } from '../../worker/src/files/pdfActiveContent.js';
import { samplePdf } from '../support/portal.js';

describe('PDF active content', () => {
  it('finds nothing in a plain PDF', () => {
    expect(pdfActiveContent(samplePdf())).toEqual([]);
  });

  it('flags JavaScript, launch actions and embedded files', () => {
    expect(pdfActiveContent(samplePdf('3 0 obj << /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >> endobj\n'))).toEqual(['javascript']);
    expect(pdfActiveContent(samplePdf('3 0 obj << /S /Launch /F (cmd.exe) >> endobj\n'))).toEqual(['launch_action']);
    expect(pdfActiveContent(samplePdf('3 0 obj << /Names << /EmbeddedFiles 4 0 R >> >> endobj\n'))).toEqual(['embedded_file']);
  });

  it('sees names spelled with #-escapes, as droppers write them', () => {
    expect(pdfActiveContent(samplePdf('3 0 obj << /S /J#61va#53cript /JS 5 0 R >> endobj\n'))).toEqual(['javascript']);
    expect(pdfActiveContent(samplePdf('3 0 obj << /S /#4C#61unch >> endobj\n'))).toEqual(['launch_action']);
  });

  it('looks inside compressed object streams, where PDF 1.5 files keep their objects', () => {
    const hidden = deflateSync(Buffer.from('<< /Type /Action /S /JavaScript /JS (this.exportDataObject\\(\\)) >> << /Type /EmbeddedFile >>'));
    const pdf = Buffer.concat([
      Buffer.from(`%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n3 0 obj << /Type /ObjStm /N 2 /Filter /FlateDecode /Length ${hidden.length} >>\nstream\n`, 'latin1'),
      hidden,
      Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
    ]);
    expect(pdf.toString('latin1')).not.toContain('/JavaScript');
    expect(pdfActiveContent(pdf)).toEqual(['javascript', 'embedded_file']);
  });

  it('does not mistake longer names or text for the markers', () => {
    expect(pdfActiveContent(samplePdf('3 0 obj << /JSON (JavaScript is mentioned in text) /Launcher 1 >> endobj\n'))).toEqual([]);
  });
});
