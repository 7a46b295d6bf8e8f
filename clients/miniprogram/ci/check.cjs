// miniprogram-ci's offline checks, the ones WeChat DevTools' 代码质量 panel runs: npm pack (构建 npm),
// checkCodeQuality and analyseCode, on a copy of this project (the pack writes miniprogram_npm/).
// Usage: node ci/check.cjs <path to the miniprogram-ci package>. Prints one JSON object.
const fs = require('fs');
const os = require('os');
const path = require('path');

const here = path.resolve(__dirname, '..');

function copyProject() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bailian-mpci-'));
  for (const name of ['miniprogram', 'package.json', 'project.config.json']) {
    fs.cpSync(path.join(here, name), path.join(tmp, name), { recursive: true, filter: (p) => !p.includes('miniprogram_npm') });
  }
  // The client as npm would install it (file:../js): its package.json and src/ only.
  const client = path.join(tmp, 'node_modules', 'bailian-fc-client');
  fs.mkdirSync(client, { recursive: true });
  for (const name of ['package.json', 'src']) fs.cpSync(path.join(here, '..', 'js', name), path.join(client, name), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'unused.key'), ''); // the API wants a key path; these checks never read it
  return tmp;
}

(async () => {
  const ci = require(process.argv[2]);
  const dir = copyProject();
  try {
    const pack = await ci.packNpmManually({ packageJsonPath: path.join(dir, 'package.json'), miniprogramNpmDistDir: path.join(dir, 'miniprogram') });
    const project = new ci.Project({ appid: 'touristappid', type: 'miniProgram', projectPath: dir, privateKeyPath: path.join(dir, 'unused.key'), ignores: ['node_modules/**/*'] });
    const quality = await ci.checkCodeQuality(project);
    const analysis = await ci.analyseCode(project);
    const main = analysis.files.filter((f) => !f.subPackage);
    const errors = analysis.modules.flatMap((m) => [...(m.errors || []), ...(m.deps || []).filter((d) => d.error).map((d) => `${d.originModuleId} → ${d.request}: ${d.error}`)]);
    process.stdout.write(`${JSON.stringify({
      pack: { miniProgramPackNum: pack.miniProgramPackNum, warnings: pack.warnList.map((w) => w.msg) },
      quality: quality.map((q) => ({ name: q.name, success: q.success, text: q.text })),
      mainPackageBytes: main.reduce((sum, f) => sum + f.size, 0),
      files: analysis.files.length,
      analyseErrors: errors.map(String),
    })}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0); // the CI library leaves a file watcher running
})().catch((err) => { console.error(err); process.exit(1); });
