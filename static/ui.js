// FerroHSM dashboard: the one script of ours (htmx does the rest; everything also works
// without JavaScript). After htmx swaps in a confirmation step or a result, keyboard focus
// moves to the element marked data-autofocus, so it is announced and reachable at once.
"use strict";

document.addEventListener("htmx:afterSettle", () => {
  const target = document.querySelector("[data-autofocus]");
  if (target instanceof HTMLElement) {
    target.removeAttribute("data-autofocus");
    target.focus();
  }
});
