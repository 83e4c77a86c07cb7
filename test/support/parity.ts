// A data-science repository's parity files (issue #15 item 3): `.tamer.yml`'s parity section, the reference
// input, the development run's predictions and its pip freeze; shared by test/parity/*.
export const PARITY_SETTINGS = `parity:
  input: parity/input.csv
  predictions: parity/predictions.csv
  command: python predict.py "$TAMER_PARITY_INPUT" "$TAMER_PARITY_OUTPUT"
  key: id
  scores: { proba: 0.0001 }
  packages: requirements.lock
`
export const REFERENCE = 'id,label,proba\n1,churn,0.91\n2,stay,0.12\n3,stay,0.40\n'
export const DEV_FREEZE = 'numpy==1.26.4\nscikit-learn==1.4.2\npandas==2.2.1\n'
export const PARITY_FILES = {
  '.tamer.yml': PARITY_SETTINGS,
  'parity/input.csv': 'id,tenure,plan\n1,3,basic\n2,40,pro\n3,12,basic\n',
  'parity/predictions.csv': REFERENCE,
  'requirements.lock': DEV_FREEZE,
}
