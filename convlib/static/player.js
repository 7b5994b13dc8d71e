// The slide's player: frames drawn in Python (PNG), shown one at a time, with the step in words.
// A plain script (no module, no widget): it runs in a notebook's HTML output and in a page that
// nbconvert exports. keys.js comes before it: no key pressed in the player reaches JupyterLab's
// notebook shortcuts, and Escape goes back to the cell.
//
// The slider steps by the arrow keys (one step), PageUp/PageDown (a row of the feature map),
// Home/End (first, last); its aria-valuetext says "step 3 of 9: …"; a polite live region says
// each step in words, once; the frame's alt is the step's whole description.

function convlibPlayer(root, frames, words, short, interval, pageStep) {
  const img = root.querySelector(".cp-frame"), slider = root.querySelector(".cp-slider");
  const play = root.querySelector(".cp-play"), loop = root.querySelector(".cp-loop");
  const said = root.querySelector(".cp-said"), n = frames.length;
  let current = 0, timer = null;
  frames[0] = frames[0] || img.getAttribute("src");  // the first frame is given once, in the <img>
  keepKeys(root);

  function show(index, speak = true) {
    current = Math.min(Math.max(index, 0), n - 1);
    img.src = frames[current];
    img.alt = words[current];
    slider.value = String(current + 1);
    slider.setAttribute("aria-valuetext", short[current]);
    if (speak && said.textContent !== short[current]) said.textContent = short[current];
  }

  function stop() {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    play.textContent = "▶";
    play.setAttribute("aria-label", "play");
    play.title = "play";
  }

  function start() {
    if (timer !== null) return;
    if (current === n - 1 && !loop.checked) show(0);
    timer = setInterval(() => {
      if (current === n - 1 && !loop.checked) return stop();
      show(current === n - 1 ? 0 : current + 1);
    }, interval);
    play.textContent = "❚❚";
    play.setAttribute("aria-label", "pause");
    play.title = "pause";
  }

  const steps = { first: () => 0, previous: () => current - 1, next: () => current + 1, last: () => n - 1 };
  for (const [name, to] of Object.entries(steps))
    root.querySelector(`.cp-${name}`).addEventListener("click", () => { stop(); show(to()); });
  play.addEventListener("click", () => (timer === null ? start() : stop()));

  const keys = {
    ArrowRight: () => current + 1, ArrowUp: () => current + 1, ArrowLeft: () => current - 1,
    ArrowDown: () => current - 1, PageUp: () => current + pageStep, PageDown: () => current - pageStep,
    Home: () => 0, End: () => n - 1,
  };
  slider.addEventListener("keydown", (event) => {
    if (!keys[event.key]) return;
    event.preventDefault();  // the slider's own step is ours: one frame a key
    stop();
    show(keys[event.key]());
  });
  slider.addEventListener("input", () => { stop(); show(Number(slider.value) - 1); });  // dragged
  show(0, false);
}
