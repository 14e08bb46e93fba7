/* Follows a page about running work (an import's run page): while the page
 * says it is active (data-follow on an element), reload it every 2 seconds.
 * The page keeps a Refresh link for browsers without scripts. */
(function () {
  "use strict";
  if (document.querySelector("[data-follow]")) {
    window.setTimeout(function () { window.location.reload(); }, 2000);
  }
}());
