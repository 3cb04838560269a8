// Scanning with the camera, where the browser has the Barcode Detection API (Chrome on Android,
// ChromeOS and macOS; not Chromium on Linux or Windows): the button is there only then. The
// back camera's frames go to the detector four times a second; the first code a product has
// adds it and stops the camera. Nothing leaves the device.

import { h } from '../../dom.ts';

interface Detected {
  rawValue: string;
}
interface Detector {
  detect(source: HTMLVideoElement): Promise<Detected[]>;
}
type DetectorClass = new (options?: { formats: string[] }) => Detector;

const FORMATS = ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128', 'code_39'];

/** The Camera button and its viewfinder, or `null` where the browser cannot detect barcodes.
 * `onCode` answers whether the code was a product (then the camera stops). */
export function renderCamera(onCode: (code: string) => boolean): HTMLElement | null {
  const Ctor = (window as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (!Ctor || !navigator.mediaDevices?.getUserMedia) return null;
  const video = h('video', { class: 'camera', 'data-testid': 'camera-video', playsinline: true, muted: true, 'aria-label': 'Camera viewfinder' });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'camera-status' });
  const stopButton = h('button', { type: 'button', class: 'ghost-dark', 'data-testid': 'camera-stop' }, 'Stop camera');
  const panel = h('div', { class: 'camera-panel', 'data-testid': 'camera-panel', hidden: true }, video, status, stopButton);
  const start = h('button', { type: 'button', 'data-testid': 'camera-scan' }, 'Scan with the camera');
  let stream: MediaStream | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let tried = new Set<string>();

  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
    stream?.getTracks().forEach((t) => t.stop());
    stream = undefined;
    video.srcObject = null;
    panel.hidden = true;
    start.hidden = false;
  };
  stopButton.addEventListener('click', stop);
  start.addEventListener('click', () => {
    void (async () => {
      let detector: Detector;
      try {
        detector = new Ctor({ formats: FORMATS });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      } catch (err) {
        status.textContent = `The camera cannot scan here: ${err instanceof Error ? err.message : String(err)}`;
        panel.hidden = false;
        return;
      }
      video.srcObject = stream;
      await video.play().catch(() => undefined);
      tried = new Set();
      panel.hidden = false;
      start.hidden = true;
      status.textContent = 'Hold the barcode in front of the camera.';
      let busy = false;
      timer = setInterval(() => {
        if (busy || !stream) return;
        busy = true;
        void detector
          .detect(video)
          .then((codes) => {
            for (const { rawValue } of codes) {
              if (tried.has(rawValue)) continue;
              tried.add(rawValue);
              if (onCode(rawValue)) return stop();
            }
          })
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, 250);
    })();
  });
  return h('div', { class: 'camera-scan' }, start, panel);
}
