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

/** A PDF of the given objects (`N 0 obj … endobj` each), numbered from 3 after a catalog and a page tree. */
function pdfOf(...objects: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n', 'latin1')];
  objects.forEach((object, index) => {
    parts.push(Buffer.from(`${index + 3} 0 obj\n`, 'latin1'), Buffer.isBuffer(object) ? object : Buffer.from(object, 'latin1'), Buffer.from('\nendobj\n', 'latin1'));
  });
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

/** A stream object's body: the dictionary (without `/Length`), then `data`. */
function streamObject(dictionary: string, data: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
  return Buffer.concat([Buffer.from(`<< ${dictionary} /Length ${bytes.length} >>\nstream\r\n`, 'latin1'), bytes, Buffer.from('\r\nendstream', 'latin1')]);
}

/** Image data (not Flate) that spells `/JS` followed by a delimiter, as random compressed bytes now and then do. */
const imageBytesSpellingJs = Buffer.concat([Buffer.from([0x9a, 0x10, 0xff]), Buffer.from('/JS(', 'latin1'), Buffer.from([0x00, 0x81, 0x7f, 0x2f, 0x4c, 0x61, 0x75, 0x6e, 0x63, 0x68, 0x20])]);

const objectStreamWithJavaScript = deflateSync(Buffer.from('9 0 << /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>', 'latin1'));

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

  it('still looks inside the streams after a decompression bomb, and says the bomb was not read to its end', async () => {
    const bomb = '\0'.repeat(40 * 1024 * 1024);
    expect(await pdfActiveContent(pdfWithStreams(bomb, '<< /S /Launch /F (cmd.exe) >>'))).toEqual(['launch_action', 'not_fully_inspected']);
  });

  it('flags a file whose streams spend the whole inflation budget, since what follows them goes unread', async () => {
    // Nine streams just under the per-stream limit use up the file's 256 MiB; the action after them is never inflated.
    const bomb = '\0'.repeat(31 * 1024 * 1024);
    const pdf = pdfWithStreams(...Array.from({ length: 9 }, () => bomb), '<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>');
    expect(pdf.length).toBeLessThan(1024 * 1024);
    expect(await pdfActiveContent(pdf)).toEqual(['not_fully_inspected']);
    // Eight of them fit in the budget: the action is found and nothing is left unread.
    const fits = pdfWithStreams(...Array.from({ length: 8 }, () => bomb), '<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>');
    expect(await pdfActiveContent(fits)).toEqual(['javascript']);
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

  describe('which streams it inflates', () => {
    it('does not flag a clean PDF whose image data happens to spell /JS', async () => {
      const pdf = pdfOf(streamObject('/Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /DCTDecode', imageBytesSpellingJs));
      expect(pdf.toString('latin1')).toContain('/JS(');
      expect(await pdfActiveContent(pdf)).toEqual([]);
    });

    it('does not flag such bytes in page contents, fonts, cross-reference or metadata streams either', async () => {
      const pdf = pdfOf(
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R] >>',
        streamObject('/Filter /FlateDecode', imageBytesSpellingJs),
        streamObject('/Length1 16', imageBytesSpellingJs),
        streamObject('/Subtype /Type1C', imageBytesSpellingJs),
        streamObject('/Type /XRef /W [1 2 1] /Size 8', imageBytesSpellingJs),
        streamObject('/Type /Metadata /Subtype /XML', imageBytesSpellingJs),
        streamObject('/Subtype /Form /BBox [0 0 1 1]', imageBytesSpellingJs),
      );
      expect(await pdfActiveContent(pdf)).toEqual([]);
    });

    it('still flags actions in the file’s own bytes between and after skipped streams', async () => {
      const image = streamObject('/Subtype /Image /Filter /FlateDecode', deflateSync(Buffer.alloc(10_000, 0x80)));
      expect(await pdfActiveContent(pdfOf(image, '<< /S /Launch /F (cmd.exe) >>', image))).toEqual(['launch_action']);
      expect(await pdfActiveContent(pdfOf(image, image, '<< /Names << /EmbeddedFiles 9 0 R >> >>'))).toEqual(['embedded_file']);
    });

    it('inflates a stream a reader could read objects from, whatever its type says', async () => {
      // pdf.js reads any stream with /N and /First as an object stream.
      expect(await pdfActiveContent(pdfOf(streamObject('/Subtype /Image /N 1 /First 4 /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /XRef /Extends 9 0 R /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      // A type given twice, by reference, or escaped into another name is not trusted.
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /ObjStm /Type /Metadata /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      expect(await pdfActiveContent(pdfOf(streamObject('/Subtype 7 0 R /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /Obj#53tm /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      // /N hidden in a string of the dictionary still counts.
      expect(await pdfActiveContent(pdfOf(streamObject('/Subtype /Image /T (/N 1 /First 4) /Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
    });

    it('inflates untyped streams no page names as its contents', async () => {
      expect(await pdfActiveContent(pdfOf(streamObject('/Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
      // A page naming another object does not make this one a content stream.
      expect(await pdfActiveContent(pdfOf('<< /Type /Page /Contents 9 0 R >>', streamObject('/Filter /FlateDecode', objectStreamWithJavaScript)))).toEqual(['javascript']);
    });

    it('reads an object stream that is not Flate data (no filter) as the file’s own bytes', async () => {
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /ObjStm /N 1 /First 4', '9 0 << /S /JavaScript /JS (1) >>')))).toEqual(['javascript']);
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode', '<< /S /Launch >>')))).toEqual(['launch_action']);
    });

    it('counts a broken Flate stream’s own bytes', async () => {
      const cut = objectStreamWithJavaScript.subarray(0, 8);
      expect(await pdfActiveContent(pdfOf(streamObject('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', Buffer.concat([cut, Buffer.from(' /JS ', 'latin1')]))))).toEqual(['javascript']);
    });

    it('sees an object hidden inside a skipped stream, where a reader jumping there by offset would find it', async () => {
      const decoy = (hidden: Buffer | string): Buffer =>
        streamObject('/Subtype /Image /Filter /DCTDecode', Buffer.concat([imageBytesSpellingJs, Buffer.from('\n12 0 obj\n', 'latin1'), Buffer.isBuffer(hidden) ? hidden : Buffer.from(hidden, 'latin1'), Buffer.from('\nendobj\n', 'latin1')]));
      expect(await pdfActiveContent(pdfOf(decoy('<< /S /JavaScript /JS (1) >>')))).toEqual(['javascript']);
      expect(await pdfActiveContent(pdfOf(decoy(streamObject('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', objectStreamWithJavaScript))))).toEqual(['javascript']);
    });

    it('takes the bytes `stream` where no stream is expected as a possible one', async () => {
      const pdf = Buffer.concat([
        Buffer.from('%PDF-1.5\n3 0 obj\n<< /Title (stream\n', 'latin1'),
        objectStreamWithJavaScript,
        Buffer.from(') >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'),
      ]);
      expect(await pdfActiveContent(pdf)).toEqual(['javascript']);
    });

    it('finds the same whatever pieces such files arrive in', async () => {
      const image = streamObject('/Subtype /Image /Filter /FlateDecode', deflateSync(Buffer.alloc(3_000, 0x40)));
      const files = [
        pdfOf('<< /Type /Page /Contents 4 0 R >>', streamObject('', imageBytesSpellingJs), image),
        pdfOf(image, streamObject('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', objectStreamWithJavaScript), image),
        pdfOf(streamObject('/Type /ObjStm /N 1 /First 4', '9 0 << /S /Launch >>'), image),
        pdfOf(streamObject('/Subtype /Image', Buffer.concat([imageBytesSpellingJs, Buffer.from(' 12 0 obj << /Type /EmbeddedFile >> endobj ', 'latin1')]))),
      ];
      const expected = [[], ['javascript'], ['launch_action'], ['embedded_file']];
      for (const [index, file] of files.entries()) expect(await pdfActiveContent(file)).toEqual(expected[index]);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: files.length - 1 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), async (index, sizes) => {
          expect(await pdfActiveContent(cut(files[index] as Buffer, sizes))).toEqual(expected[index]);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('does not mistake longer names or text for the markers', async () => {
    expect(await pdfActiveContent(samplePdf('3 0 obj << /JSON (JavaScript is mentioned in text) /Launcher 1 >> endobj\n'))).toEqual([]);
  });
});
