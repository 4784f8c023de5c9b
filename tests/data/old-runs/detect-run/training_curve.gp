# Re-draw with: gnuplot training_curve.gp
if (!exists('out')) out = 'training_curve.png'
set terminal pngcairo size 900,560 enhanced font 'Sans,10'
set output out
set datafile separator ','
set key outside bottom center horizontal
set grid
set title 'Fine-tuning' noenhanced
set xlabel 'epoch'
set ylabel 'loss (per image)'
set y2label 'validation mAP (%)'
set y2tics
set ytics nomirror
plot 'metrics.csv' using (column('epoch')):(column('box_loss')) with linespoints lw 2 title 'box loss' noenhanced, \
     'metrics.csv' using (column('epoch')):(column('obj_loss')) with linespoints lw 2 title 'objectness loss' noenhanced, \
     'metrics.csv' using (column('epoch')):(column('cls_loss')) with linespoints lw 2 title 'class loss' noenhanced, \
     'metrics.csv' using (column('epoch')):(column('map50')) with linespoints lw 2 title 'mAP@0.5' noenhanced axes x1y2, \
     'metrics.csv' using (column('epoch')):(column('map50_95')) with linespoints lw 2 title 'mAP@0.5:0.95' noenhanced axes x1y2
