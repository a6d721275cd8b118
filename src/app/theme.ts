/** The one theme object: spacing, colours, fonts. */
export const theme = {
  colors: {
    bg: '#f6f7fb',
    surface: '#ffffff',
    border: '#e3e6ef',
    text: '#1c2233',
    muted: '#5d667d',
    primary: '#4f46e5',
    primaryText: '#ffffff',
    danger: '#c62f3b',
    status: {
      pending: '#8a94a6',
      running: '#2f7be5',
      completed: '#1f9d55',
      failed: '#c62f3b',
    },
  },
  space: (n: number) => `${n * 4}px`,
  radius: '8px',
  fonts: {
    body: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    mono: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  },
  breakpoints: { narrow: '640px' },
} as const;

export type Theme = typeof theme;
