// Behaviour every page shares, kept out of the templates: the CSP runs no inline script or handler.

// A form with data-confirm asks before it is sent (removing a roadmap).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// htmx 2 swaps only 2xx answers; an element marked data-swap-422 also takes the 422 answer, which
// carries the form again with the field's message (a roadmap item's refused link).
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.target;
  if (event.detail.xhr.status === 422 && target instanceof Element && target.closest("[data-swap-422]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
