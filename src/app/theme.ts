/**
 * The theme: spacing, fonts and two palettes, light and dark (the system's setting unless the user
 * chose one: ./themeMode). Components take every colour from here — semantic names (good, bad,
 * the tints of added/removed/changed rows), not hex values of their own — so both palettes hold.
 */
const light = {
  bg: '#f6f7fb',
  surface: '#ffffff',
  border: '#e3e6ef',
  text: '#1c2233',
  muted: '#5d667d',
  primary: '#4f46e5',
  primaryText: '#ffffff',
  /** A light wash of the primary colour: a drop zone being dragged over, an alias badge. */
  primarySoft: '#eef0ff',
  primaryStrong: '#4338ca',
  danger: '#c62f3b',
  good: '#1f7a45',
  bad: '#b42330',
  addedBg: '#eaf7ef',
  removedBg: '#fdecec',
  changedBg: '#fff7e0',
  chartGrid: '#c7cbd8',
  status: {
    pending: '#8a94a6',
    running: '#2f7be5',
    completed: '#1f9d55',
    failed: '#c62f3b',
  },
};

export type Palette = typeof light;

const dark: Palette = {
  bg: '#0f1117',
  surface: '#181b24',
  border: '#2c3140',
  text: '#e6e8ef',
  muted: '#9aa3b8',
  primary: '#8b93ff',
  primaryText: '#0f1117',
  primarySoft: '#262a52',
  primaryStrong: '#c7cbff',
  danger: '#f0717c',
  good: '#4ade80',
  bad: '#f87171',
  addedBg: '#15321f',
  removedBg: '#3b1d22',
  changedBg: '#3a3016',
  chartGrid: '#3a4052',
  status: {
    pending: '#7d8799',
    running: '#3b82f6',
    completed: '#22a364',
    failed: '#d9434f',
  },
};

const base = {
  space: (n: number) => `${n * 4}px`,
  radius: '8px',
  fonts: {
    body: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    mono: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  },
  breakpoints: { narrow: '640px' },
};

export type Theme = typeof base & { name: 'light' | 'dark'; colors: Palette };

export const themes: Record<'light' | 'dark', Theme> = {
  light: { ...base, name: 'light', colors: light },
  dark: { ...base, name: 'dark', colors: dark },
};

/** The light theme (what tests and code that needs one fixed theme use). */
export const theme = themes.light;
