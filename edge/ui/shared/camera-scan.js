// Reading a barcode or QR code with the phone's camera: the browser's BarcodeDetector
// where it has one, zxing (served from /ui/vendor/zxing/, loaded by the page) otherwise.

const FORMATS = ['ean_13', 'ean_8', 'upc_a', 'code_128', 'qr_code'];

/** Starts the camera into `video` and calls `found(text)` once with the first code read.
 * Resolves to a function that stops it, or null when there is no camera to use. */
export async function scanWithCamera(video, found) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment' },
      audio: false,
    });
  } catch {
    return null;
  }
  video.srcObject = stream;
  video.classList.remove('hidden');
  await video.play();
  const reader = 'BarcodeDetector' in window ? null : new window.ZXing.BrowserMultiFormatReader();
  let live = true;
  const stop = () => {
    live = false;
    reader?.reset();
    for (const track of stream.getTracks()) track.stop();
    video.classList.add('hidden');
  };
  const done = (text) => {
    if (!live) return;
    stop();
    found(text);
  };
  if (!reader) {
    const detector = new window.BarcodeDetector({ formats: FORMATS });
    const tick = async () => {
      if (!live) return;
      const codes = await detector.detect(video).catch(() => []);
      if (codes[0]) done(codes[0].rawValue);
      else requestAnimationFrame(tick);
    };
    void tick();
    return stop;
  }
  // zxing reads frames until it finds a code, or until reset() by stop
  reader
    .decodeOnceFromStream(stream, video)
    .then((result) => done(result.getText()))
    .catch(() => undefined);
  return stop;
}
