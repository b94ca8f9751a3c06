/** The type every dashboard view returns: rendered HTML, possibly still being rendered. */

import type { HtmlEscapedString } from "hono/utils/html";

/** What a view (a Hono JSX component) returns. */
export type View = HtmlEscapedString | Promise<HtmlEscapedString>;
