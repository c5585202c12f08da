/**
 * The CJK font printed reports use, from a Debian package (fonts-wqy-microhei,
 * fonts-noto-cjk or fonts-arphic-uming): the first one installed wins.
 */
import { existsSync } from 'node:fs';

/** A font file and, for a collection, the face's PostScript name. */
export interface CjkFont {
  readonly path: string;
  readonly family?: string;
}

/** Where the Debian packages install their fonts, in order of preference. */
export const CJK_FONT_CANDIDATES: readonly CjkFont[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/arphic/uming.ttc', family: 'AR-PL-UMing-CN' },
];

/** The first installed CJK font, or undefined when none is. */
export function findCjkFont(candidates: readonly CjkFont[] = CJK_FONT_CANDIDATES): CjkFont | undefined {
  return candidates.find((c) => existsSync(c.path));
}
