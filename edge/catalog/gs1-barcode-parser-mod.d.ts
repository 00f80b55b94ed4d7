// Types for gs1-barcode-parser-mod (CommonJS, ships none): the GS1 Application
// Identifier table and element-string splitter we build the scan parser on.
declare module 'gs1-barcode-parser-mod' {
  export interface ParsedElement {
    ai: string;
    dataTitle: string;
    data: string | number | Date;
    unit: string;
    raw: string;
    isoDate: string;
  }
  export interface ParsedBarcode {
    codeName: string;
    parsedCodeItems: ParsedElement[];
  }
  export function parseBarcode(barcode: string): ParsedBarcode;
}
