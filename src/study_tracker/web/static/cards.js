// The card loop's keys (reviews and drills). On a card waiting for an answer, Space or Enter
// reveals the key points (Ctrl+Enter while typing in the answer box; Escape leaves the box);
// once revealed, 1-4 grade (Again, Hard, Good, Easy); on a review's summary, 1-4 change the
// rating and Enter saves. Each key clicks the button it stands for, so htmx and plain forms
// behave exactly as with the mouse.
(() => {
  const typing = (el) =>
    el instanceof HTMLElement &&
    (el.tagName === "TEXTAREA" || el.isContentEditable || (el.tagName === "INPUT" && el.type === "text"));

  document.addEventListener("keydown", (event) => {
    const card = document.getElementById("card");
    if (!card || event.altKey || event.metaKey || event.repeat) return;
    const stage = card.dataset.stage;
    const inBox = typing(event.target);
    const press = (selector) => {
      const el = card.querySelector(selector);
      if (!el || el.disabled) return;
      event.preventDefault();
      el.click();
    };
    if (inBox) {
      if (event.key === "Escape") event.target.blur();
      else if (event.key === "Enter" && event.ctrlKey) press(stage === "done" ? '[data-key="save"]' : '[data-key="reveal"]');
      return;
    }
    if (event.ctrlKey) return;
    if (stage === "answer" && (event.key === " " || event.key === "Enter")) {
      press('[data-key="reveal"]');
    } else if (stage === "reveal" && /^[1-4]$/.test(event.key)) {
      press(`button[data-key="${event.key}"]`);
    } else if (stage === "done" && /^[1-4]$/.test(event.key)) {
      const radio = card.querySelector(`input[type="radio"][data-key="${event.key}"]`);
      if (radio) {
        event.preventDefault();
        radio.checked = true;
        radio.focus();
      }
    } else if (stage === "done" && event.key === "Enter") {
      press('[data-key="save"]');
    }
  });
})();
