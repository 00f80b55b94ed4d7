// Linux input key codes (include/uapi/linux/input-event-codes.h) to the characters a
// keyboard-wedge scanner types on a US layout: [unshifted, shifted].
export const KEY = {
  LEFTCTRL: 29,
  RIGHTCTRL: 97,
  LEFTSHIFT: 42,
  RIGHTSHIFT: 54,
  CAPSLOCK: 58,
  ENTER: 28,
  KPENTER: 96,
  TAB: 15,
  RIGHTBRACE: 27,
} as const;

const ROWS: [number, string, string][] = [
  [2, '1234567890-=', '!@#$%^&*()_+'],
  [16, 'qwertyuiop[]', 'QWERTYUIOP{}'],
  [30, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
  [43, '\\zxcvbnm,./', '|ZXCVBNM<>?'],
];

export const US_KEYMAP = new Map<number, [string, string]>();
for (const [first, plain, shifted] of ROWS) {
  for (let i = 0; i < plain.length; i++) US_KEYMAP.set(first + i, [plain[i]!, shifted[i]!]);
}
US_KEYMAP.set(57, [' ', ' ']);
// the numeric keypad types the same with or without shift (num lock on)
const KEYPAD: [number, string][] = [
  [71, '7'],
  [72, '8'],
  [73, '9'],
  [74, '-'],
  [75, '4'],
  [76, '5'],
  [77, '6'],
  [78, '+'],
  [79, '1'],
  [80, '2'],
  [81, '3'],
  [82, '0'],
  [83, '.'],
  [55, '*'],
  [98, '/'],
];
for (const [code, ch] of KEYPAD) US_KEYMAP.set(code, [ch, ch]);
