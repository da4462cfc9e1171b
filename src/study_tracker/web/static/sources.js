// Sources page: once htmx has sent the upload form, empty its file input, so a second click
// cannot send the same files again (the job's progress shows below the form).
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "upload-form" && event.detail.successful) form.reset();
  });
})();
