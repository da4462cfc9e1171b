// Drill page: a countdown from the server's remaining seconds. The server keeps the real time;
// when the countdown reaches zero the page reloads so the server ends the drill.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("drill");
  const timer = document.getElementById("timer");
  if (!box || !timer || box.dataset.finished === "true") return;
  const end = Date.now() + Number(box.dataset.remaining) * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    timer.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    timer.classList.toggle("low", left <= 30);
    if (left === 0) {
      clearInterval(handle);
      window.location.reload();
    }
  };
  const handle = setInterval(tick, 1000);
  tick();
});
