import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './App.js';

createRoot(document.getElementById('root')!).render(<App />);
