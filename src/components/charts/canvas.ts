/** Canvas helpers for the charts that draw many marks (CanvasScatter, ParallelBrush). */

/**
 * The canvas's 2D context, cleared, its backing store sized for the screen's pixel density and its
 * coordinates in CSS pixels (`width` × `height`); null when there is no canvas or context.
 */
export function clearedContext(element: HTMLCanvasElement | null, width: number, height: number): CanvasRenderingContext2D | null {
  const context = element?.getContext('2d');
  if (!element || !context) return null;
  const ratio = window.devicePixelRatio || 1;
  element.width = Math.round(width * ratio);
  element.height = Math.round(height * ratio);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return context;
}
