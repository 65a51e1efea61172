/** Device label shown in presence (spec §3.4): `<OS> Web`, e.g. "Mac Web", "iPhone Web". */
export function deviceLabel(userAgent: string | undefined): string {
  const ua = userAgent ?? "";
  const os =
    /iPhone/.test(ua) ? "iPhone"
    : /iPad/.test(ua) ? "iPad"
    : /Android/.test(ua) ? "Android"
    : /CrOS/.test(ua) ? "ChromeOS"
    : /Windows/.test(ua) ? "Windows"
    : /Macintosh|Mac OS X/.test(ua) ? "Mac"
    : /Linux|X11/.test(ua) ? "Linux"
    : null;
  return os ? `${os} Web` : "Web";
}
