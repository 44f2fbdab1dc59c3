declare module 'japanese-holidays' {
  export interface JapaneseHoliday {
    readonly month: number;
    readonly date: number;
    readonly name: string;
  }
  /** Public holidays of a year (JST calendar), substitute holidays included unless `furikae` is false. */
  export function getHolidaysOf(year: number, furikae?: boolean): JapaneseHoliday[];
}
