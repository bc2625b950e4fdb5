import packagedChromium from '@sparticuz/chromium';

/**
 * Unpacks the packaged Chromium once, before the workers start (unless `WFNET_CHROMIUM` names another): it
 * counts as unpacked as soon as its file exists, so a second worker unpacking it at the same time would
 * launch the first one's half-written file.
 */
export default async function unpackChromium() {
  if (!process.env['WFNET_CHROMIUM']) await packagedChromium.executablePath();
}
