import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { pdfActiveContent } from '../../worker/src/files/pdfActiveContent.js';
import { samplePdf } from '../support/portal.js';

/** A PDF with the given Flate streams, one object each, in order. */
function pdfWithStreams(...contents: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1')];
  contents.forEach((content, index) => {
    const data = deflateSync(Buffer.from(content, 'latin1'));
    parts.push(Buffer.from(`${index + 2} 0 obj << /Filter /FlateDecode /Length ${data.length} >>\nstream\r\n`, 'latin1'), data, Buffer.from('\r\nendstream\nendobj\n', 'latin1'));
  });
  parts.push(Buffer.from('trailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

/** `bytes` cut into pieces of the given sizes (cycled), as a file arrives over the network. */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; index += 1) {
    const size = sizes[index % sizes.length] as number;
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

describe('PDF active content', () => {
  it('finds nothing in a plain PDF', async () => {
    expect(await pdfActiveContent(samplePdf())).toEqual([]);
  });

  it('flags JavaScript, launch actions and embedded files', async () => {
    expect(await pdfActiveContent(samplePdf('3 0 obj << /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >> endobj\n'))).toEqual(['javascript']);
    expect(await pdfActiveContent(samplePdf('3 0 obj << /S /Launch /F (cmd.exe) >> endobj\n'))).toEqual(['launch_action']);
    expect(await pdfActiveContent(samplePdf('3 0 obj << /Names << /EmbeddedFiles 4 0 R >> >> endobj\n'))).toEqual(['embedded_file']);
  });

  it('sees names spelled with #-escapes, as droppers write them', async () => {
    expect(await pdfActiveContent(samplePdf('3 0 obj << /S /J#61va#53cript /JS 5 0 R >> endobj\n'))).toEqual(['javascript']);
    expect(await pdfActiveContent(samplePdf('3 0 obj << /S /#4C#61unch >> endobj\n'))).toEqual(['launch_action']);
  });

  it('looks inside compressed object streams, where PDF 1.5 files keep their objects', async () => {
    const hidden = deflateSync(Buffer.from('<< /Type /Action /S /JavaScript /JS (this.exportDataObject\\(\\)) >> << /Type /EmbeddedFile >>'));
    const pdf = Buffer.concat([
      Buffer.from(`%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n3 0 obj << /Type /ObjStm /N 2 /Filter /FlateDecode /Length ${hidden.length} >>\nstream\n`, 'latin1'),
      hidden,
      Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
    ]);
    expect(pdf.toString('latin1')).not.toContain('/JavaScript');
    expect(await pdfActiveContent(pdf)).toEqual(['javascript', 'embedded_file']);
  });

  it('looks inside every compressed stream, not only every other one', async () => {
    // A page's content stream first, as in nearly every PDF; the action hides in the object stream after it.
    const pdf = pdfWithStreams('BT /F1 12 Tf (Hello) Tj ET', '<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>');
    expect(pdf.toString('latin1')).not.toContain('/JavaScript');
    expect(await pdfActiveContent(pdf)).toEqual(['javascript']);
  });

  it('still looks inside the streams after a decompression bomb', async () => {
    const bomb = '\0'.repeat(40 * 1024 * 1024);
    expect(await pdfActiveContent(pdfWithStreams(bomb, '<< /S /Launch /F (cmd.exe) >>'))).toEqual(['launch_action']);
  });

  it('reads an escaped slash as the start of a name', async () => {
    expect(await pdfActiveContent(samplePdf('3 0 obj << /A#2FJS 1 >> endobj\n'))).toEqual(['javascript']);
    expect(await pdfActiveContent(samplePdf('3 0 obj << /A#2FJSON 1 /J#53X 1 >> endobj\n'))).toEqual([]);
  });

  it('finds the same whatever pieces the file arrives in', async () => {
    const files = [
      samplePdf('3 0 obj << /S /J#61va#53cript /JS 5 0 R >> endobj\n'),
      samplePdf('3 0 obj << /JSON (JavaScript is mentioned in text) /Launcher 1 >> endobj\n'),
      pdfWithStreams('BT (x) Tj ET', '<< /Type /EmbeddedFile >>', '<< /S /#4C#61unch >>'),
    ];
    const whole = await Promise.all(files.map((file) => pdfActiveContent(file)));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: files.length - 1 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), async (index, sizes) => {
        expect(await pdfActiveContent(cut(files[index] as Buffer, sizes))).toEqual(whole[index]);
      }),
      { numRuns: 200 },
    );
  });

  it('does not mistake longer names or text for the markers', async () => {
    expect(await pdfActiveContent(samplePdf('3 0 obj << /JSON (JavaScript is mentioned in text) /Launcher 1 >> endobj\n'))).toEqual([]);
  });
});
