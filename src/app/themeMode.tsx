/**
 * Light or dark: the system's setting (prefers-color-scheme, followed as it changes) unless the user
 * chose one with the header's toggle, which this browser remembers.
 */
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { ThemeProvider } from 'styled-components';
import { themes } from './theme';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'modellab.theme';
const CHOICES: ThemeChoice[] = ['system', 'light', 'dark'];

const stored = (): ThemeChoice => {
  const value = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY);
  return CHOICES.find((c) => c === value) ?? 'system';
};
const darkQuery = () => (typeof window === 'undefined' || !window.matchMedia ? null : window.matchMedia('(prefers-color-scheme: dark)'));

const ThemeChoiceContext = createContext<{ choice: ThemeChoice; shown: 'light' | 'dark'; next: () => void }>({ choice: 'system', shown: 'light', next: () => undefined });

export function ThemeModeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoice] = useState<ThemeChoice>(stored);
  const [systemDark, setSystemDark] = useState(() => darkQuery()?.matches ?? false);
  useEffect(() => {
    const query = darkQuery();
    if (!query) return undefined;
    const follow = (e: MediaQueryListEvent) => setSystemDark(e.matches);
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, []);
  const shown = choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
  const next = () => {
    const value = CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length]!;
    if (value === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, value);
    setChoice(value);
  };
  return (
    <ThemeChoiceContext.Provider value={{ choice, shown, next }}>
      <ThemeProvider theme={themes[shown]}>{children}</ThemeProvider>
    </ThemeChoiceContext.Provider>
  );
}

export const useThemeChoice = () => useContext(ThemeChoiceContext);
