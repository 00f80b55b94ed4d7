// The shape of one GS1 Application Identifier as the GS1 Barcode Syntax Dictionary
// describes it (see ai-table.ts for the table itself).

export interface Component {
  /** N digits, X CSET 82, Y CSET 39, Z CSET 64 (base64url) */
  cset: 'N' | 'X' | 'Y' | 'Z';
  min: number;
  max: number;
  /** may be left off once the value is used up */
  optional: boolean;
  /** content checks ("linters") applied to this component */
  linters: string[];
}

export interface AiSpec {
  ai: string;
  /** fixed length by the GS1 predefined-length table: no FNC1 separator follows it */
  predefined: boolean;
  /** may be a GS1 Digital Link query attribute */
  dlAttribute: boolean;
  components: Component[];
  /** each entry: one of these groups must be present in full (AI patterns, n = any digit) */
  req: string[][][];
  /** AIs (or patterns) that may not appear with this one */
  ex: string[];
  /** a Digital Link primary key: the allowed qualifier sequences ([[]] for none) */
  dlpkey: string[][] | null;
  title: string;
}
