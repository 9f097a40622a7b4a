// The lesson example listens to its first figure: each change the learner makes arrives as a
// `statechange` event with the figure's new state, which the prose can follow.

const figure = document.getElementById('steps-widget');
const report = document.getElementById('steps-report');
figure.addEventListener('statechange', ({ detail }) => {
  report.textContent = `(You are on step ${detail.step}, layer ${detail.layer}, head ${detail.head}.)`;
});
