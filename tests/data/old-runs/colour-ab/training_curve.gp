# Re-draw with: gnuplot training_curve.gp
if (!exists('out')) out = 'training_curve.png'
set terminal pngcairo size 900,560 enhanced font 'Sans,10'
set output out
set datafile separator ','
set key outside bottom center horizontal
set grid
set title 'Training curve' noenhanced
set xlabel 'epoch'
set ylabel 'cross-entropy loss (per pixel)'
set y2label 'validation accuracy (%)'
set y2tics
set ytics nomirror
plot 'metrics.csv' using (column('epoch')):(column('train_loss')) with linespoints lw 2 title 'train loss' noenhanced, \
     'metrics.csv' using (column('epoch')):(column('val_loss')) with linespoints lw 2 title 'validation loss' noenhanced, \
     'metrics.csv' using (column('epoch')):(column('val_acc')) with linespoints lw 2 title 'validation accuracy' noenhanced axes x1y2
